package intel

// Feed samples written from each publisher's documentation of its format.

const sampleDomains = `# Example blocklist, one domain per line
evil.xyz
Secure-Login.Bank-Verify.example.
0.0.0.0 hosts-file-style.example
203.0.113.9
`

// OpenPhish's public feed: one URL per line.
const sampleOpenPhish = `https://paypal-account-verify.example.com/signin/
http://xn--pypal-4ve.example/login.php
https://203.0.113.10/wp-admin/office365/
https://docs-share.example.net/a/b?c=d
`

// PhishTank's online-valid.csv.
const samplePhishTank = `phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target
8612345,https://secure-paypa1.example/signin?x=1,http://www.phishtank.com/phish_detail.php?phish_id=8612345,2024-07-04T08:31:05+00:00,yes,2024-07-04T08:40:11+00:00,yes,PayPal
8612346,"http://bank.verify-account.example/a,b",http://www.phishtank.com/phish_detail.php?phish_id=8612346,2024-07-04T09:00:00+00:00,yes,2024-07-04T09:05:00+00:00,yes,Other
`

// URLhaus's csv_recent dump.
const sampleURLhaus = `################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs)           #
# Last updated: 2024-07-04 09:11:06 (UTC)                      #
#                                                              #
# Terms Of Use: https://urlhaus.abuse.ch/api/                  #
# For questions please contact urlhaus [at] abuse.ch           #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"2871455","2024-07-04 09:10:08","http://malware-drop.example.xyz/bins/x86","online","2024-07-04 09:10:08","malware_download","32-bit,elf,mirai","https://urlhaus.abuse.ch/url/2871455/","geenensp"
"2871454","2024-07-04 09:09:05","http://203.0.113.7:8080/i","online","2024-07-04 09:09:05","malware_download","elf","https://urlhaus.abuse.ch/url/2871454/","lrz_urlhaus"
`

// ThreatFox's CSV export: quoted commented header, a space after each comma, CRLF lines.
const sampleThreatFox = "################################################################\r\n" +
	"# ThreatFox IOCs: recent additions - CSV format                #\r\n" +
	"# Last updated: 2024-07-04 22:19:04 UTC                        #\r\n" +
	"#\r\n" +
	`# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","is_compromised","reference","tags","anonymous","reporter"` + "\r\n" +
	`"2024-07-04 22:19:04", "1844855", "c2.clearfake.example", "domain", "payload_delivery", "js.clearfake", "None", "ClearFake", "", "100", "False", "None", "ClearFake,windows", "1", "anonymous"` + "\r\n" +
	`"2024-07-04 21:46:30", "1844853", "64.227.143.36:5555", "ip:port", "botnet_cc", "win.cobalt_strike", "BEACON", "Cobalt Strike", "", "75", "False", "None", "CobaltStrike", "0", "drb"` + "\r\n" +
	`"2024-07-04 21:40:00", "1844850", "https://panel.stealer.example/gate.php", "url", "botnet_cc", "win.vidar", "None", "Vidar", "", "90", "False", "None", "vidar", "0", "abuse"` + "\r\n" +
	`"2024-07-04 21:30:00", "1844849", "3dd25cbfe76db155615283f905992030468f3da9", "sha1_hash", "payload", "win.vidar", "None", "Vidar", "", "95", "False", "None", "None", "0", "Grim"` + "\r\n" +
	"# Number of entries: 4\r\n"

const sampleMISPEventUUID = "5f0c6a2e-1b9c-4d3a-9a7e-0c1d2e3f4a5b"

// A MISP feed's manifest.json.
const sampleMISPManifest = `{"5f0c6a2e-1b9c-4d3a-9a7e-0c1d2e3f4a5b": {"Orgc": {"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
 "Tag": [{"colour": "#004646", "name": "type:OSINT"}], "info": "OSINT - Phishing kit targeting banks", "date": "2024-07-01",
 "analysis": 2, "threat_level_id": 2, "timestamp": "1719820800"}}`

// The event file it lists.
const sampleMISPEvent = `{"Event": {"uuid": "5f0c6a2e-1b9c-4d3a-9a7e-0c1d2e3f4a5b", "info": "OSINT - Phishing kit targeting banks",
 "date": "2024-07-01", "threat_level_id": "2", "analysis": "2", "timestamp": "1719820800",
 "Orgc": {"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
 "Attribute": [
  {"uuid": "a1", "type": "domain", "category": "Network activity", "to_ids": true, "value": "bank-secure-login.example", "timestamp": "1719820801", "first_seen": "2024-06-30T10:00:00Z"},
  {"uuid": "a2", "type": "url", "category": "Network activity", "to_ids": true, "value": "https://kit.phish-host.example/bank/index.php", "timestamp": "1719820802"},
  {"uuid": "a3", "type": "domain|ip", "category": "Network activity", "to_ids": true, "value": "c2.misp-example.net|198.51.100.23", "timestamp": "1719820803"},
  {"uuid": "a4", "type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.51.100.23", "timestamp": "1719820804"},
  {"uuid": "a5", "type": "domain", "category": "Network activity", "to_ids": true, "value": "deleted.example", "timestamp": "1719820805", "deleted": true}
 ],
 "Object": [{"name": "domain-ip", "meta-category": "network", "uuid": "o1", "Attribute": [
  {"uuid": "a6", "object_relation": "domain", "type": "hostname", "category": "Network activity", "value": "www.object-host.example", "timestamp": "1719820806"}
 ]}]
}}`

// A STIX 2.1 bundle with indicators and domain-name / url observables.
const sampleSTIX = `{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created": "2024-07-01T12:00:00.000Z", "modified": "2024-07-01T12:00:00.000Z", "name": "Phishing domains",
  "indicator_types": ["malicious-activity"], "pattern_type": "stix", "valid_from": "2024-07-01T12:00:00Z",
  "pattern": "[domain-name:value = 'stix-evil.example'] OR [url:value = 'https://login.stix-phish.example/auth']"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b9b1c9a-0000-4000-8000-000000000001",
  "created": "2020-01-01T00:00:00Z", "modified": "2020-01-01T00:00:00Z", "indicator_types": ["anomalous-activity"],
  "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z", "valid_until": "2020-02-01T00:00:00Z",
  "pattern": "[domain-name:value = 'expired.example']"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b9b1c9a-0000-4000-8000-000000000002",
  "created": "2024-07-01T00:00:00Z", "modified": "2024-07-01T00:00:00Z", "pattern_type": "sigma",
  "valid_from": "2024-07-01T00:00:00Z", "pattern": "title: not a name"},
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--0b9b1c9a-0000-4000-8000-000000000003",
  "created": "2024-07-01T00:00:00Z", "modified": "2024-07-01T00:00:00Z", "pattern_type": "stix",
  "valid_from": "2024-07-01T00:00:00Z", "pattern": "[ipv4-addr:value = '198.51.100.1']"},
 {"type": "domain-name", "spec_version": "2.1", "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5", "value": "sco-domain.example"},
 {"type": "url", "spec_version": "2.1", "id": "url--c1477287-23ac-5971-a010-5c287877fa60", "value": "http://sco-url.example/x"}
]}`
