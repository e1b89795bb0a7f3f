CREATE INDEX malformed_at ON malformed (at);
