package enrich

import "strings"

// parkingZones are the domains whose name servers belong to domain-parking and domain-sale
// services: a lookalike delegated to them is, for now, parked rather than serving a kit.
var parkingZones = []string{
	"above.com",
	"afternic.com",
	"bodis.com",
	"dan.com",
	"domainparking.ru",
	"fabulous.com",
	"hugedomains.com",
	"parkingcrew.net",
	"parklogic.com",
	"sedoparking.com",
	"smartname.com",
	"undeveloped.com",
	"uniregistrymarket.link",
}

// ParkingService returns the parking zone a name server belongs to, or "".
func ParkingService(ns string) string {
	ns = strings.TrimSuffix(strings.ToLower(ns), ".")
	for _, z := range parkingZones {
		if ns == z || strings.HasSuffix(ns, "."+z) {
			return z
		}
	}
	return ""
}
