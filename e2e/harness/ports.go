package harness

import (
	"fmt"
	"net"
)

// FreeAddr returns a loopback address ("127.0.0.1:PORT") whose port was free a
// moment ago: it listens on port 0, notes the port and closes. Another process
// could take the port before the caller binds it; on a test machine that is rare.
func FreeAddr() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		return "", err
	}
	return addr, nil
}

// FreeAddrs returns n distinct free loopback addresses. All n listeners are
// held open together, so the ports differ from each other.
func FreeAddrs(n int) ([]string, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	addrs := make([]string, 0, n)
	for range n {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		listeners = append(listeners, lis)
		addrs = append(addrs, lis.Addr().String())
	}
	return addrs, nil
}
