package charmhooks

import (
	"fmt"
	"strconv"
	"strings"
)

// Port is a port or port range to open, as Juju writes it: 80/tcp,
// 8000-8999/udp or icmp.
type Port struct {
	Protocol string // tcp, udp or icmp
	From, To int    // equal for one port; zero for icmp
}

func (p Port) String() string {
	switch {
	case p.Protocol == "icmp":
		return "icmp"
	case p.From == p.To:
		return strconv.Itoa(p.From) + "/" + p.Protocol
	}
	return strconv.Itoa(p.From) + "-" + strconv.Itoa(p.To) + "/" + p.Protocol
}

// ParsePort reads a port as open-port takes it and opened-ports prints it;
// the protocol defaults to tcp.
func ParsePort(s string) (Port, error) {
	if s == "icmp" {
		return Port{Protocol: "icmp"}, nil
	}
	rng, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return Port{}, fmt.Errorf("charmhooks: port %q: protocol must be tcp or udp", s)
	}
	from, to, isRange := strings.Cut(rng, "-")
	if !isRange {
		to = from
	}
	f, err1 := strconv.Atoi(from)
	t, err2 := strconv.Atoi(to)
	if err1 != nil || err2 != nil || f < 1 || t > 65535 || f > t {
		return Port{}, fmt.Errorf("charmhooks: port %q is not <port>[/<protocol>], <from>-<to>[/<protocol>] or icmp", s)
	}
	return Port{Protocol: proto, From: f, To: t}, nil
}

func portArgs(p Port, endpoints []string) []string {
	if len(endpoints) == 0 {
		return []string{p.String()}
	}
	return []string{"--endpoints", strings.Join(endpoints, ","), p.String()}
}

// OpenPort opens a port, on all endpoints or only on the given ones.
func (t *Tools) OpenPort(p Port, endpoints ...string) error {
	_, err := t.run.Run("open-port", portArgs(p, endpoints)...)
	return err
}

// ClosePort closes a port, on all endpoints or only on the given ones.
func (t *Tools) ClosePort(p Port, endpoints ...string) error {
	_, err := t.run.Run("close-port", portArgs(p, endpoints)...)
	return err
}

// OpenedPorts lists the ports this unit has opened.
func (t *Tools) OpenedPorts() ([]Port, error) {
	var specs []string
	if err := t.runJSON(&specs, "opened-ports", "--format=json"); err != nil {
		return nil, err
	}
	ports := make([]Port, 0, len(specs))
	for _, s := range specs {
		p, err := ParsePort(s)
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// Network is what network-get reports for a binding.
type Network struct {
	BindAddresses    []BindAddress `json:"bind-addresses"`
	EgressSubnets    []string      `json:"egress-subnets"`
	IngressAddresses []string      `json:"ingress-addresses"`
}

// BindAddress is one interface of a binding.
type BindAddress struct {
	MACAddress    string    `json:"mac-address"`
	InterfaceName string    `json:"interface-name"`
	Addresses     []Address `json:"addresses"`
}

// Address is one address of an interface. Juju before 2.9 fills Address
// instead of Value.
type Address struct {
	Hostname string `json:"hostname"`
	Value    string `json:"value"`
	Address  string `json:"address,omitempty"`
	CIDR     string `json:"cidr"`
}

// NetworkGet returns the network configuration of an endpoint binding,
// optionally as seen from a relation (rel "" for none).
func (t *Tools) NetworkGet(binding, rel string) (Network, error) {
	var n Network
	args := append([]string{"--format=json"}, relFlag(rel)...)
	err := t.runJSON(&n, "network-get", append(args, binding)...)
	return n, err
}
