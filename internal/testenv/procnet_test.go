package testenv_test

import "testing"

// procAddr must tell loopback from every-interface listeners, or the
// loopback e2e test could not fail.
func TestProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000:0050":                         "0.0.0.0:80",
		"010A0A7F:2382":                         "127.10.10.1:9090",
		"00000000000000000000000000000000:1F90": "[::]:8080",
		"00000000000000000000000001000000:0016": "[::1]:22",
		"0000000000000000FFFF00000100007F:1F90": "127.0.0.1:8080",
	} {
		got, err := procAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("procAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
		if loop := got.Addr().IsLoopback(); loop != (want[0] == '1' || want == "[::1]:22") {
			t.Errorf("procAddr(%q) = %v: IsLoopback %v", in, got, loop)
		}
	}
}
