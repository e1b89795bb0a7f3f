package config

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"
)

// Cluster joins several certhunt serve processes over NATS JetStream and PostgreSQL (SPEC.md
// "Cluster"). Without NATSURL certhunt is one process and every other key here is ignored.
type Cluster struct {
	// NATSURL is the NATS server (nats://host:4222, or several, comma-separated, for a NATS
	// cluster) with JetStream enabled; empty: one process, no cluster. Requires a postgres://
	// database, since the nodes share incidents and CT cursors there.
	NATSURL string `yaml:"nats_url"`
	// Node is this node's name, shown in /api/v1/sources as the holder of each log; unique in
	// the cluster (a node is refused while another live node has its name). Empty: the host name.
	Node string `yaml:"node"`
	// Roles are what this node does: ingest (follow the CT logs and certstream servers whose
	// lease it wins, publishing their batches to JetStream), detect (turn batches from JetStream
	// into incidents), api (serve the API, UI and certstream server; without it a node serves
	// only /healthz, /readyz and /metrics).
	Roles []string `yaml:"roles"`
}

// The cluster roles.
const (
	RoleIngest = "ingest"
	RoleDetect = "detect"
	RoleAPI    = "api"
)

// knownRoles lists the roles in the order the documentation gives them.
var knownRoles = []string{RoleIngest, RoleDetect, RoleAPI}

// defaultCluster is no cluster; a node that joins one does everything unless told otherwise.
func defaultCluster() Cluster {
	return Cluster{Roles: slices.Clone(knownRoles)}
}

// Enabled says whether this process is a cluster node.
func (cl Cluster) Enabled() bool { return cl.NATSURL != "" }

// Has says whether the node has role r.
func (cl Cluster) Has(r string) bool { return slices.Contains(cl.Roles, r) }

// NodeName is Node, or the host name when Node is empty.
func (cl Cluster) NodeName() (string, error) {
	if cl.Node != "" {
		return cl.Node, nil
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "", fmt.Errorf("cluster.node is empty and the host name is unknown (%v): set cluster.node", err)
	}
	return h, nil
}

// validate checks the cluster section against the database it needs; each error names the key.
func (cl *Cluster) validate(database string, bad func(key, format string, args ...any)) {
	for i, r := range cl.Roles {
		key := fmt.Sprintf("cluster.roles[%d]", i)
		if !slices.Contains(knownRoles, r) {
			bad(key, "%q is not a role; roles: %s", r, strings.Join(knownRoles, ", "))
		} else if slices.Index(cl.Roles, r) < i {
			bad(key, "%q is listed twice", r)
		}
	}
	if strings.IndexFunc(cl.Node, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		bad("cluster.node", "%q must not contain spaces or control characters", cl.Node)
	} else if len(cl.Node) > 128 {
		bad("cluster.node", "is %d bytes, longer than 128", len(cl.Node))
	}
	if cl.NATSURL == "" {
		return
	}
	for _, u := range strings.Split(cl.NATSURL, ",") {
		checkNATSURL(bad, strings.TrimSpace(u))
	}
	if len(cl.Roles) == 0 {
		bad("cluster.roles", "is empty: a node needs at least one of %s", strings.Join(knownRoles, ", "))
	}
	if !strings.HasPrefix(database, "postgres://") && !strings.HasPrefix(database, "postgresql://") {
		bad("cluster.nats_url", "a cluster needs a shared database: set database to a postgres:// URL")
	}
}

// checkNATSURL accepts what nats.go dials: nats://, tls://, ws:// or wss:// with a host.
func checkNATSURL(bad func(key, format string, args ...any), raw string) {
	checkURLHint(bad, "cluster.nats_url", raw, " (write nats://host:4222)", "nats", "tls", "ws", "wss")
}

// The cluster keys as flags and CERTHUNT_* variables; registered here so the section stays in
// one file.
func init() {
	settings = append(settings,
		setting{"nats-url", "cluster.nats_url", str(func(c *Config) *string { return &c.Cluster.NATSURL })},
		setting{"node", "cluster.node", str(func(c *Config) *string { return &c.Cluster.Node })},
		setting{"roles", "cluster.roles", list(func(c *Config) *[]string { return &c.Cluster.Roles })},
	)
}
