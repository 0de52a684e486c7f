package faketools

// tools lists every hook tool the fake implements, with the flags Juju's
// tool of that name accepts.
var tools = map[string]toolSpec{
	"relation-ids":       {format: true, run: relationIDs},
	"relation-list":      {format: true, flags: map[string]flagKind{"--relation": valueFlag, "--app": boolFlag}, aliases: relFlags, run: relationList},
	"relation-get":       {format: true, flags: map[string]flagKind{"--relation": valueFlag, "--app": boolFlag}, aliases: relFlags, run: relationGet},
	"relation-set":       {flags: map[string]flagKind{"--relation": valueFlag, "--app": boolFlag, "--file": valueFlag}, aliases: relFlags, run: relationSet},
	"relation-model-get": {format: true, flags: map[string]flagKind{"--relation": valueFlag}, aliases: relFlags, run: relationModelGet},

	"is-leader":               {format: true, run: isLeader},
	"juju-log":                {flags: map[string]flagKind{"--log-level": valueFlag, "--debug": boolFlag}, aliases: map[string]string{"-l": "--log-level"}, run: jujuLog},
	"status-set":              {flags: map[string]flagKind{"--application": boolFlag}, run: statusSet},
	"status-get":              {format: true, flags: map[string]flagKind{"--application": boolFlag, "--include-data": boolFlag}, run: statusGet},
	"application-version-set": {run: applicationVersionSet},
	"config-get":              {format: true, flags: map[string]flagKind{"--all": boolFlag}, aliases: map[string]string{"-a": "--all"}, run: configGet},
	"juju-reboot":             {flags: map[string]flagKind{"--now": boolFlag}, run: jujuReboot},

	"action-get":  {format: true, run: actionGet},
	"action-set":  {run: actionSet},
	"action-log":  {run: actionLog},
	"action-fail": {run: actionFail},

	"secret-add":      {flags: secretMeta, run: secretAdd},
	"secret-set":      {flags: secretMeta, run: secretSet},
	"secret-get":      {format: true, flags: map[string]flagKind{"--label": valueFlag, "--peek": boolFlag, "--refresh": boolFlag}, run: secretGet},
	"secret-info-get": {format: true, flags: map[string]flagKind{"--label": valueFlag}, run: secretInfoGet},
	"secret-ids":      {format: true, run: secretIDs},
	"secret-grant":    {flags: map[string]flagKind{"--relation": valueFlag, "--unit": valueFlag}, aliases: relFlags, run: secretGrant},
	"secret-revoke":   {flags: map[string]flagKind{"--relation": valueFlag, "--app": valueFlag, "--unit": valueFlag}, aliases: relFlags, run: secretRevoke},
	"secret-remove":   {flags: map[string]flagKind{"--revision": valueFlag}, run: secretRemove},

	"state-get":    {format: true, flags: map[string]flagKind{"--strict": boolFlag}, run: stateGet},
	"state-set":    {flags: map[string]flagKind{"--file": valueFlag}, run: stateSet},
	"state-delete": {run: stateDelete},

	"open-port":    {flags: map[string]flagKind{"--endpoints": valueFlag}, run: openPort},
	"close-port":   {flags: map[string]flagKind{"--endpoints": valueFlag}, run: closePort},
	"opened-ports": {format: true, flags: map[string]flagKind{"--endpoints": boolFlag}, run: openedPorts},
	"network-get": {format: true, flags: map[string]flagKind{"--relation": valueFlag, "--bind-address": boolFlag, "--ingress-address": boolFlag, "--egress-subnets": boolFlag},
		aliases: relFlags, run: networkGet},

	"storage-get":    {format: true, flags: map[string]flagKind{"-s": valueFlag}, run: storageGet},
	"storage-list":   {format: true, run: storageList},
	"storage-add":    {run: storageAdd},
	"goal-state":     {format: true, run: goalState},
	"resource-get":   {run: resourceGet},
	"credential-get": {format: true, run: credentialGet},
}

var secretMeta = map[string]flagKind{"--label": valueFlag, "--description": valueFlag, "--expire": valueFlag, "--rotate": valueFlag, "--owner": valueFlag, "--file": valueFlag}
