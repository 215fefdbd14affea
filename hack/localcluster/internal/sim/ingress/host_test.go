package ingress

import "testing"

func TestParseHost(t *testing.T) {
	for host, want := range map[string]Target{
		"web.shop":                        {Service: "web", Namespace: "shop"},
		"web.shop:8080":                   {Service: "web", Namespace: "shop", Port: "8080"},
		"web.shop.svc.cluster.local":      {Service: "web", Namespace: "shop"},
		"web.shop.example:http":           {Service: "web", Namespace: "shop", Port: "http"},
		"Web.Shop.":                       {Service: "web", Namespace: "shop"},
		"api-v2.team-a.svc.cluster.local": {Service: "api-v2", Namespace: "team-a"},
	} {
		got, ok := ParseHost(host)
		if !ok || got != want {
			t.Errorf("ParseHost(%q) = %+v, %t; want %+v", host, got, ok, want)
		}
	}
	for _, host := range []string{"", "localhost", "localhost:8080", "127.0.0.1:9000", "[::1]:80", "1web.shop", "web_x.shop", "web..shop"} {
		if got, ok := ParseHost(host); ok {
			t.Errorf("ParseHost(%q) = %+v, want no Service", host, got)
		}
	}
}
