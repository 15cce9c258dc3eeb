package docscheck

import "testing"

func TestAddrsCommand(t *testing.T) {
	both := Addrs{HTTP: "127.0.0.1:40001", GRPC: "127.0.0.1:40002"}
	httpOnly := Addrs{HTTP: "127.0.0.1:40001"}
	for _, tc := range []struct {
		addrs     Addrs
		cmd, want string
	}{
		{both, "curl -s localhost:8080/sum", "curl -s localhost:40001/sum"},
		{both, "curl http://127.0.0.1:8080/metrics", "curl http://127.0.0.1:40001/metrics"},
		{both, "go run ./cmd/addcli -grpc-addr 127.0.0.1:8081 sum 1 2", "go run ./cmd/addcli -grpc-addr 127.0.0.1:40002 sum 1 2"},
		{both, "go run ./cmd/addcli -http-addr localhost:8080 sum 1 2", "go run ./cmd/addcli -http-addr localhost:40001 sum 1 2"},
		{httpOnly, "curl localhost:8081/x", "curl localhost:8081/x"},
		{both, "curl localhost:80800/x localhost:18080", "curl localhost:80800/x localhost:18080"},
		{both, "curl example.com:8080/x", "curl example.com:8080/x"},
		// addcli with no address calls the default one.
		{both, "go run ./cmd/addcli sum 1 2; echo \"exit $?\"", "go run ./cmd/addcli -http-addr 127.0.0.1:40001 sum 1 2; echo \"exit $?\""},
		{both, "go run ./cmd/addcli", "go run ./cmd/addcli -http-addr 127.0.0.1:40001"},
		{both, "go run ./cmd/addcli -zipkin-url 127.0.0.1:9411 sum 1 2", "go run ./cmd/addcli -http-addr 127.0.0.1:40001 -zipkin-url 127.0.0.1:9411 sum 1 2"},
		{both, "go run ./cmd/addsvc -h", "go run ./cmd/addsvc -h"},
	} {
		if got := tc.addrs.Command(tc.cmd); got != tc.want {
			t.Errorf("Command(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

func TestAddrsOutput(t *testing.T) {
	a := Addrs{HTTP: "127.0.0.1:40001", GRPC: "127.0.0.1:40002"}
	for _, tc := range []struct{ out, want string }{
		{"listen on 127.0.0.1:40001: in use", "listen on 127.0.0.1:8080: in use"},
		{"dial localhost:40002 refused", "dial localhost:8081 refused"},
		{"default 127.0.0.1:8080", "default 127.0.0.1:8080"}, // a usage's defaults stay
		{"port 400011 and 127.0.0.1:400011", "port 400011 and 127.0.0.1:400011"},
	} {
		if got := a.Output(tc.out); got != tc.want {
			t.Errorf("Output(%q) = %q, want %q", tc.out, got, tc.want)
		}
	}
}

func TestFreeAddrs(t *testing.T) {
	a, err := freeAddrs(true)
	if err != nil {
		t.Fatal(err)
	}
	if a.HTTP == "" || a.GRPC == "" || a.HTTP == a.GRPC {
		t.Errorf("freeAddrs(true) = %+v, want two different addresses", a)
	}
	a, err = freeAddrs(false)
	if err != nil || a.GRPC != "" {
		t.Errorf("freeAddrs(false) = %+v, %v; want no gRPC address", a, err)
	}
}
