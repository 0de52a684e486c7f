package pebbletest_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/canonical/pebble/client"

	"github.com/charmtrace/charmtrace/pebble/pebbletest"
)

// newClient starts a fake for container "web" and returns the canonical client on its
// socket: the fake must satisfy the real client, not only charmtrace's wrapper.
func newClient(t *testing.T) (*pebbletest.Server, *client.Client) {
	t.Helper()
	srv, err := pebbletest.NewServer(t.TempDir(), "web")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := client.New(&client.Config{Socket: srv.SocketPath()})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

const base = `
services:
  web:
    override: replace
    command: /bin/web
    startup: enabled
  batch:
    override: replace
    command: /bin/batch
checks:
  alive:
    override: replace
    level: alive
    exec: {command: /bin/true}
  ready:
    override: replace
    level: ready
    startup: disabled
    exec: {command: /bin/true}
`

func TestServicesAndReplan(t *testing.T) {
	srv, c := newClient(t)
	if err := c.AddLayer(&client.AddLayerOptions{Label: "base", LayerData: []byte(base)}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddLayer(&client.AddLayerOptions{Label: "base", LayerData: []byte(base)}); err == nil {
		t.Fatal("a second layer with the same label and no combine was accepted")
	}
	id, err := c.Replan(&client.ServiceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	chg, err := c.WaitChange(id, &client.WaitChangeOptions{Timeout: time.Second})
	if err != nil || !chg.Ready || chg.Status != "Done" {
		t.Fatalf("WaitChange = %+v, %v", chg, err)
	}
	if web, _ := srv.Service("web"); web.Current != "active" || web.Starts != 1 {
		t.Fatalf("web after replan %+v", web)
	}
	if batch, _ := srv.Service("batch"); batch.Current != "inactive" || batch.Startup != "disabled" {
		t.Fatalf("a disabled service was started: %+v", batch)
	}
	// An unchanged plan: replan restarts nothing.
	if _, err := c.Replan(&client.ServiceOptions{}); err != nil {
		t.Fatal(err)
	}
	if web, _ := srv.Service("web"); web.Starts != 1 {
		t.Fatalf("replan of an unchanged service restarted it: %+v", web)
	}
	// A merged change to the service: replan restarts it, and the merge kept its command.
	if err := c.AddLayer(&client.AddLayerOptions{Label: "base", Combine: true,
		LayerData: []byte("services:\n  web:\n    override: merge\n    environment: {A: b}\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Replan(&client.ServiceOptions{}); err != nil {
		t.Fatal(err)
	}
	if web, _ := srv.Service("web"); web.Starts != 2 {
		t.Fatalf("replan after a change did not restart: %+v", web)
	}
	plan, err := c.PlanBytes(nil)
	if err != nil || !strings.Contains(string(plan), "command: /bin/web") || !strings.Contains(string(plan), "A: b") {
		t.Fatalf("plan %s, %v", plan, err)
	}
	svcs, err := c.Services(&client.ServicesOptions{Names: []string{"web", "batch"}})
	if err != nil || len(svcs) != 2 || svcs[0].Name != "batch" || svcs[1].Current != client.StatusActive {
		t.Fatalf("Services = %+v, %v", svcs, err)
	}
	if _, err := c.Stop(&client.ServiceOptions{Names: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	if web, _ := srv.Service("web"); web.Current != "inactive" {
		t.Fatalf("web after stop %+v", web)
	}
	var apiErr *client.Error
	if _, err := c.Start(&client.ServiceOptions{Names: []string{"nope"}}); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("Start of an unknown service: %v", err)
	}
	if err := c.SendSignal(&client.SendSignalOptions{Signal: "SIGHUP", Services: []string{"web"}}); err == nil {
		t.Fatal("a signal to a stopped service was accepted")
	}
}

func TestChecks(t *testing.T) {
	srv, c := newClient(t)
	if err := c.AddLayer(&client.AddLayerOptions{Label: "base", LayerData: []byte(base)}); err != nil {
		t.Fatal(err)
	}
	checks, err := c.Checks(&client.ChecksOptions{Level: client.AliveLevel})
	if err != nil || len(checks) != 1 || checks[0].Name != "alive" || checks[0].Status != client.CheckStatusUp {
		t.Fatalf("alive checks %+v, %v", checks, err)
	}
	if ready, _ := srv.Check("ready"); ready.Status != "inactive" {
		t.Fatalf("a disabled check runs: %+v", ready)
	}
	if ok, err := c.Health(&client.HealthOptions{}); err != nil || !ok {
		t.Fatalf("Health = %v, %v", ok, err)
	}
	res, err := c.StopChecks(&client.ChecksActionOptions{Names: []string{"alive", "ready"}})
	if err != nil || !reflect.DeepEqual(res.Changed, []string{"alive"}) {
		t.Fatalf("StopChecks = %+v, %v (only a running check changes)", res, err)
	}
	if ok, _ := c.Health(&client.HealthOptions{}); ok {
		t.Fatal("healthy with its check stopped")
	}
	res, err = c.StartChecks(&client.ChecksActionOptions{Names: []string{"alive"}})
	if err != nil || !reflect.DeepEqual(res.Changed, []string{"alive"}) {
		t.Fatalf("StartChecks = %+v, %v", res, err)
	}
	if _, err := c.StopChecks(&client.ChecksActionOptions{Names: []string{"missing"}}); err == nil {
		t.Fatal("stopping an unknown check succeeded")
	}
}

func TestFiles(t *testing.T) {
	srv, c := newClient(t)
	if err := c.Push(&client.PushOptions{Path: "/etc/app/a.conf", Source: strings.NewReader("a"), Permissions: 0o600}); err == nil {
		t.Fatal("push into a missing directory without MakeDirs succeeded")
	}
	if err := c.Push(&client.PushOptions{Path: "/etc/app/a.conf", Source: strings.NewReader("a"), MakeDirs: true, Permissions: 0o600}); err != nil {
		t.Fatal(err)
	}
	if f, ok := srv.File("/etc/app/a.conf"); !ok || string(f.Content) != "a" || f.Permissions != 0o600 {
		t.Fatalf("file %+v", f)
	}
	srv.SetFile("/etc/app/b.conf", []byte("bb"))
	var got bytes.Buffer
	if err := c.Pull(&client.PullOptions{Path: "/etc/app/b.conf", Target: &got}); err != nil || got.String() != "bb" {
		t.Fatalf("Pull = %q, %v", got.String(), err)
	}
	var apiErr *client.Error
	if err := c.Pull(&client.PullOptions{Path: "/etc/app/none", Target: &got}); !errors.As(err, &apiErr) || apiErr.Kind != "not-found" {
		t.Fatalf("Pull of a missing file: %v", err)
	}
	if err := c.MakeDir(&client.MakeDirOptions{Path: "/etc/app/sub"}); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListFiles(&client.ListFilesOptions{Path: "/etc/app"})
	var names []string
	for _, f := range list {
		names = append(names, f.Name())
	}
	if err != nil || !reflect.DeepEqual(names, []string{"sub", "a.conf", "b.conf"}) {
		t.Fatalf("ListFiles = %q, %v", names, err)
	}
	if err := c.RemovePath(&client.RemovePathOptions{Path: "/etc/app"}); err == nil {
		t.Fatal("removing a non-empty directory without Recursive succeeded")
	}
	if err := c.RemovePath(&client.RemovePathOptions{Path: "/etc/app", Recursive: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.File("/etc/app/a.conf"); ok {
		t.Fatal("file survived a recursive remove")
	}
}

func TestExec(t *testing.T) {
	srv, c := newClient(t)
	srv.HandleExec("greet", func(r pebbletest.ExecRequest) pebbletest.ExecResult {
		return pebbletest.ExecResult{Stdout: []byte("hello " + string(r.Stdin)), Stderr: []byte("warn"), ExitCode: len(r.Command) - 1}
	})
	var out, errOut bytes.Buffer
	p, err := c.Exec(&client.ExecOptions{Command: []string{"/usr/bin/greet", "a"}, Environment: map[string]string{"K": "v"},
		Stdin: strings.NewReader("world"), Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatal(err)
	}
	var exitErr *client.ExitError
	if err := p.Wait(); !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("Wait = %v, want exit status 1", err)
	}
	if out.String() != "hello world" || errOut.String() != "warn" {
		t.Fatalf("stdout %q stderr %q", out.String(), errOut.String())
	}
	ex := srv.Execs()
	if len(ex) != 1 || ex[0].Environment["K"] != "v" || string(ex[0].Stdin) != "world" {
		t.Fatalf("execs %+v", ex)
	}
	// Without a separate stderr, Pebble interleaves it into stdout.
	out.Reset()
	p, err = c.Exec(&client.ExecOptions{Command: []string{"greet"}, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil || out.String() != "hello warn" {
		t.Fatalf("Wait = %v, stdout %q", err, out.String())
	}
	if _, err := c.Exec(&client.ExecOptions{Command: []string{"missing"}}); err == nil {
		t.Fatal("exec of an executable with no handler succeeded")
	}
}

func TestRequestsAreRecordedWithoutBodies(t *testing.T) {
	srv, c := newClient(t)
	if err := c.Push(&client.PushOptions{Path: "/a", Source: strings.NewReader("secret")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SysInfo(); err != nil {
		t.Fatal(err)
	}
	want := []pebbletest.Request{{Method: "POST", Path: "/v1/files"}, {Method: "GET", Path: "/v1/system-info"}}
	if got := srv.Requests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %+v", got)
	}
}
