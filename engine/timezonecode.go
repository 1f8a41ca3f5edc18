package engine

import "time"

// zoneCodes maps Dataverse's time zone codes (usersettings.timezonecode,
// the timezonedefinition table's timezonecode) to IANA zones through
// their Windows zone names (CLDR's windowsZones mapping, territory 001).
// The common zones only; an unknown code is reported, and the caller's
// dates are then shown in UTC (docs/semantics.md).
var zoneCodes = map[int64]string{
	0:   "Etc/GMT+12",          // Dateline Standard Time
	2:   "Pacific/Honolulu",    // Hawaiian Standard Time
	3:   "America/Anchorage",   // Alaskan Standard Time
	4:   "America/Los_Angeles", // Pacific Standard Time
	10:  "America/Denver",      // Mountain Standard Time
	15:  "America/Phoenix",     // US Mountain Standard Time
	20:  "America/Chicago",     // Central Standard Time
	35:  "America/New_York",    // Eastern Standard Time
	85:  "Europe/London",       // GMT Standard Time
	90:  "Atlantic/Reykjavik",  // Greenwich Standard Time
	95:  "Europe/Budapest",     // Central Europe Standard Time
	100: "Europe/Warsaw",       // Central European Standard Time
	105: "Europe/Paris",        // Romance Standard Time
	110: "Europe/Berlin",       // W. Europe Standard Time
	190: "Asia/Kolkata",        // India Standard Time
	210: "Asia/Shanghai",       // China Standard Time
	235: "Asia/Tokyo",          // Tokyo Standard Time
	255: "Australia/Sydney",    // AUS Eastern Standard Time
	290: "Pacific/Auckland",    // New Zealand Standard Time
}

// ZoneOfCode is the IANA zone of a Dataverse time zone code; false when
// the code is not in the table (or the zone database lacks the zone).
func ZoneOfCode(code int64) (*time.Location, bool) {
	name, ok := zoneCodes[code]
	if !ok {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}
