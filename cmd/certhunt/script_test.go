package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/certhunt/certhunt/internal/ctlog/ctlogtest"
	"github.com/certhunt/certhunt/internal/testcert"
)

// TestMain lets scripts run "certhunt" as a command: the test binary re-executes itself.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"certhunt": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI golden tests of testdata/script (testscript format).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir) // nothing reads the user's files
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ctlog":    cmdCTLog,
			"freeport": cmdFreePort,
			"waithttp": cmdWaitHTTP,
		},
	})
}

// cmdCTLog starts a loopback RFC 6962 log: "ctlog NAME NAMES..." logs one certificate per
// argument (comma-separated DNS names), sets $NAME_URL and $NAME_KEY, and writes the log list
// $WORK/NAME-list.json naming it.
func cmdCTLog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: ctlog NAME [NAMES...]")
	}
	ca, err := testcert.Default()
	ts.Check(err)
	l, err := ctlogtest.NewRFC6962()
	ts.Check(err)
	ts.Defer(l.Close)
	for _, names := range args[1:] {
		der, err := ca.Issue(strings.Split(names, ","), testcert.Options{})
		ts.Check(err)
		_, err = l.Add(ctlogtest.Entry{Cert: der, Chain: ca.Chain()})
		ts.Check(err)
	}
	ts.Check(l.Publish())
	info := l.Info()
	info.Name = args[0]
	ts.Setenv(args[0]+"_URL", info.URL)
	ts.Setenv(args[0]+"_KEY", base64.StdEncoding.EncodeToString(info.KeyDER))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+"-list.json"), ctlogtest.LogListJSON(info), 0o644))
}

// cmdFreePort sets $VAR to a loopback address with a free port: "freeport VAR".
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], ln.Addr().String())
	ln.Close()
}

// cmdWaitHTTP waits until GET URL answers STATUS (with a body matching REGEXP when given) and
// prints the body: "waithttp URL STATUS [REGEXP]". It polls the condition (serve working in the
// background), giving up after 60 s.
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waithttp URL STATUS [REGEXP]")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	match := regexp.MustCompile("")
	if len(args) == 3 {
		match, err = regexp.Compile(args[2])
		ts.Check(err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	last := "no answer"
	for {
		if resp, err := client.Get(args[0]); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want && match.Match(body) {
				fmt.Fprintf(ts.Stdout(), "%s", body)
				return
			}
			last = fmt.Sprintf("%s %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		select {
		case <-tick.C:
		case <-deadline:
			ts.Fatalf("GET %s: no %d matching %q after 60s; last: %s", args[0], want, match, last)
		}
	}
}
