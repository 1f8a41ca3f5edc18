package sql

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestZoneShift checks the offset tables against the time package at
// random instants and around every transition.
func TestZoneShift(t *testing.T) {
	for _, name := range []string{"UTC", "America/New_York", "Europe/Paris", "Asia/Tokyo", "Asia/Kolkata", "Europe/Moscow", "Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Apia"} {
		loc := zone(name)
		z := shiftOf(loc)
		if name != "UTC" && z.name != name {
			t.Errorf("%s: name %q", name, z.name)
		}
		lookup := func(at time.Time) int64 {
			i := 0
			for i < len(z.trans) && !at.Before(z.trans[i]) {
				i++
			}
			return z.offs[i]
		}
		check := func(at time.Time) {
			_, off := at.In(loc).Zone()
			if got := lookup(at); got != int64(off/60) {
				t.Fatalf("%s at %s: table says %d min, time package %d s", name, at, got, off)
			}
		}
		r := rand.New(rand.NewPCG(1, 2))
		span := zoneTo.Sub(zoneFrom)
		for range 2000 {
			check(zoneFrom.Add(time.Duration(r.Int64N(int64(span)))))
		}
		for _, tr := range z.trans {
			check(tr)
			check(tr.Add(-time.Second))
		}
		if name == "America/New_York" && (len(z.trans) < 250 || len(z.trans) > 270) {
			t.Errorf("%s: %d transitions", name, len(z.trans))
		}
		t.Logf("%s: %d transitions", name, len(z.trans))
	}
	if z := shiftOf(time.FixedZone("X", 3600)); len(z.trans) != 0 || z.offs[0] != 60 || z.name != "" {
		t.Errorf("fixed zone: %+v", z)
	}
	if z := shiftOf(nil); !z.utc() {
		t.Error("nil zone is not UTC")
	}
}

func TestFirstChange(t *testing.T) {
	ny := zone("America/New_York")
	offset := func(at time.Time) int64 {
		_, off := at.In(ny).Zone()
		return int64(off / 60)
	}
	want := time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC) // 02:00 EST
	for _, lo := range []time.Time{want.Add(-6 * time.Hour), want.Add(-time.Second), want.Add(-90 * time.Minute)} {
		for _, hi := range []time.Time{want, want.Add(time.Second), want.Add(5 * time.Hour)} {
			if got := firstChange(offset, lo, hi); !got.Equal(want) {
				t.Errorf("firstChange(%s, %s) = %s, want %s", lo, hi, got, want)
			}
		}
	}
}
