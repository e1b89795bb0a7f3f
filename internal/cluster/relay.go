package cluster

import (
	"encoding/json"
	"sync/atomic"

	"github.com/nats-io/nats.go"

	"github.com/certhunt/certhunt/internal/certs"
)

// CertSubject carries every certificate detect nodes handled to the api nodes' certstream
// servers, on core NATS: best effort, like the certstream feed itself (a slow client of it
// drops messages too), and nothing is kept.
const CertSubject = "certhunt.certs"

// relayedCert is a certificate as it travels: the parsed fields and the DER the full stream
// serves (both json:"-" in certs.Cert).
type relayedCert struct {
	Cert  *certs.Cert `json:"c"`
	DER   []byte      `json:"d,omitempty"`
	Chain [][]byte    `json:"ch,omitempty"`
}

// relayDropped counts certificates that could not be relayed (too big for max_payload,
// disconnected) or received unreadable.
var relayDropped atomic.Int64

// RelayDropped is how many certificates the relay dropped in this process.
func RelayDropped() int64 { return relayDropped.Load() }

// PublishCert relays a handled certificate to every node subscribed with SubscribeCerts. It
// never blocks (the NATS client buffers), as the pipeline's Publish must not.
func (n *Node) PublishCert(c *certs.Cert) {
	data, err := json.Marshal(relayedCert{Cert: c, DER: c.DER, Chain: c.Chain})
	if err != nil || int64(len(data)) > n.nc.MaxPayload() || n.nc.Publish(CertSubject, data) != nil {
		relayDropped.Add(1)
	}
}

// SubscribeCerts hands every relayed certificate to fn (on the NATS client's goroutine: fn
// must not block) until the returned stop is called.
func (n *Node) SubscribeCerts(fn func(*certs.Cert)) (stop func(), err error) {
	sub, err := n.nc.Subscribe(CertSubject, func(m *nats.Msg) {
		var r relayedCert
		if json.Unmarshal(m.Data, &r) != nil || r.Cert == nil {
			relayDropped.Add(1)
			return
		}
		r.Cert.DER, r.Cert.Chain = r.DER, r.Chain
		fn(r.Cert)
	})
	if err != nil {
		return nil, err
	}
	return func() { sub.Unsubscribe() }, nil
}
