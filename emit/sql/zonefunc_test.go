package sql

import "testing"

func TestLocalTime(t *testing.T) {
	for _, c := range []struct{ ts, zone, want string }{
		{"2024-03-10 06:59:59", "America/New_York", "2024-03-10 01:59:59"}, // EST
		{"2024-03-10 07:00:00", "America/New_York", "2024-03-10 03:00:00"}, // EDT from 2:00 local
		{"2024-12-31 23:30:00.5", "Asia/Kolkata", "2025-01-01 05:00:00.5"},
		{"2024-07-04", "Europe/Paris", "2024-07-04 02:00:00"},
		{"2024-07-04T12:00:00", "UTC", "2024-07-04 12:00:00"},
	} {
		if got, err := LocalTime(c.ts, c.zone); err != nil || got != c.want {
			t.Errorf("LocalTime(%q, %q) = %q, %v; want %q", c.ts, c.zone, got, err, c.want)
		}
	}
	for _, c := range []struct{ ts, zone string }{{"yesterday", "UTC"}, {"2024-07-04 12:00:00", "Mars/Olympus"}} {
		if _, err := LocalTime(c.ts, c.zone); err == nil {
			t.Errorf("LocalTime(%q, %q): no error", c.ts, c.zone)
		}
	}
}
