-- Who allowed a name and from which incident, so that the allow list can be reviewed and undone.
ALTER TABLE allowed ADD COLUMN author TEXT NOT NULL DEFAULT '';
ALTER TABLE allowed ADD COLUMN incident_id TEXT NOT NULL DEFAULT '';
