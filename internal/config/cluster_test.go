package config

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestClusterDefaultsAreOneProcess(t *testing.T) {
	c := Default()
	if c.Cluster.Enabled() || c.Cluster.Node != "" || !slices.Equal(c.Cluster.Roles, []string{"ingest", "detect", "api"}) {
		t.Fatalf("cluster defaults = %+v", c.Cluster)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Skip("no host name here:", err)
	}
	if n, err := c.Cluster.NodeName(); err != nil || n != host {
		t.Fatalf("NodeName() = %q, %v; want the host name %q", n, err, host)
	}
}

func TestClusterConfig(t *testing.T) {
	c, err := Parse([]byte(`database: postgres://127.0.0.1/certhunt
cluster:
  nats_url: nats://127.0.0.1:4222, nats://127.0.0.2:4222
  node: node-a
  roles: [ingest]
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Cluster.NodeName(); !c.Cluster.Enabled() || n != "node-a" || !c.Cluster.Has(RoleIngest) || c.Cluster.Has(RoleAPI) {
		t.Fatalf("cluster = %+v", c.Cluster)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"cluster:\n  nats_url: nats://127.0.0.1:4222\n", "line 2: cluster.nats_url: a cluster needs a shared database: set database to a postgres:// URL"},
		{"database: postgres://h/db\ncluster:\n  nats_url: http://127.0.0.1:4222\n", `cluster.nats_url: "http://127.0.0.1:4222": scheme must be one of nats`},
		{"database: postgres://h/db\ncluster:\n  nats_url: 127.0.0.1\n", `cluster.nats_url: "127.0.0.1" is not a URL`},
		{"database: postgres://h/db\ncluster:\n  nats_url: http://user:s3cret@h:4222\n", `cluster.nats_url: "http://REDACTED@h:4222": scheme must be one of`},
		{"cluster:\n  roles: [ingest, dtect]\n", `cluster.roles[1]: "dtect" is not a role; roles: ingest, detect, api`},
		{"cluster:\n  roles: [api, api]\n", `cluster.roles[1]: "api" is listed twice`},
		{"database: postgres://h/db\ncluster:\n  nats_url: nats://h:4222\n  roles: []\n", "cluster.roles: is empty"},
		{"cluster:\n  node: 'node a'\n", `cluster.node: "node a" must not contain spaces`},
		{"cluster:\n  nodes: a\n", `unknown key "nodes" (did you mean "node"?)`},
	} {
		c, err := Parse([]byte(tc.yaml), "test.yaml")
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}

func TestClusterFlagsAndEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f := Register(fs)
	if err := fs.Parse([]string{"-nats-url", "nats://127.0.0.1:4222", "-roles", "ingest, detect"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CERTHUNT_NODE": "n2", "CERTHUNT_DATABASE": "postgres://127.0.0.1/certhunt"}
	c, err := f.load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Cluster.NATSURL != "nats://127.0.0.1:4222" || c.Cluster.Node != "n2" || strings.Join(c.Cluster.Roles, ",") != "ingest,detect" {
		t.Fatalf("cluster = %+v", c.Cluster)
	}
}
