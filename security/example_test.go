package security_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmtrace/charmtrace/security"
)

// printRunner stands in for the charm runtime's hook-tool runner.
type printRunner struct{}

func (printRunner) Run(name string, args ...string) ([]byte, error) {
	fmt.Println(name, strings.Join(args, " "))
	return nil, nil
}

// A non-leader's relation-set --app failed with "cannot write relation
// settings": the runtime reports it as authz_fail through juju-log.
func Example() {
	log := security.New("0c5e8a3f-1d2b-4c6a-9e7f-8a1b2c3d4e5f", "myapp/0",
		security.JujuLog(printRunner{}),
		security.WithClock(func() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) }))

	log.AuthzFail(context.Background(), "relation-set", 1, false)
	// Output:
	// juju-log --log-level TRACE -- {"datetime": "2025-03-04T05:06:07+00:00", "level": "CRITICAL", "type": "security", "appid": "0c5e8a3f-1d2b-4c6a-9e7f-8a1b2c3d4e5f-myapp/0", "event": "authz_fail:relation-set", "description": "Hook command \"relation-set\" failed with code 1."}
}
