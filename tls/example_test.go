package tls_test

import (
	"fmt"
	"net/http"

	"github.com/charmtrace/charmtrace/internal/testcerts"
	charmtls "github.com/charmtrace/charmtrace/tls"
)

func Example() {
	// The CA bundle would come from the certificate_transfer relation.
	ca, _ := testcerts.NewRoot("example CA")
	leaf, _ := ca.NewLeaf(testcerts.LeafOptions{})
	srv := testcerts.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), leaf, 0, 0)
	defer srv.Close()

	cfg, err := charmtls.Config(ca.PEM())
	if err != nil {
		fmt.Println(err)
		return
	}
	client := charmtls.Client(cfg)
	resp, err := client.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Proto, resp.StatusCode)

	_, err = charmtls.Config([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	fmt.Println(err)
	// Output:
	// HTTP/1.1 200
	// CA bundle holds something other than certificates: PEM block 1 is "PRIVATE KEY", not a certificate
}
