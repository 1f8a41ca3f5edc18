// Package calendar computes the exact intervals of FetchXML's relative
// date and fiscal operators (spec §2.3–§2.5).
//
// # Entry points
//
//	Relative             today … next-x-years, olderthan-x-*, this/last/next-fiscal-*,
//	                     last/next-x-fiscal-*, in-fiscal-year (x = the year)
//	Day                  on, on-or-before, on-or-after
//	FiscalPeriodAndYear  in-fiscal-period-and-year, in-or-before-…, in-or-after-…
//	FiscalPeriodMonths   in-fiscal-period (period P of every year, as a month set
//	                     when periods start on the 1st of a month)
//	FiscalPeriodOf       the fiscal period and year of an instant: the semantics the
//	                     SQL emitter reproduces per row (in-fiscal-period on other
//	                     calendars, fiscal grouping) and its tests' expectation
//	FiscalYearLabel,
//	FiscalPeriodLabel    dategrouping fiscal-year / fiscal-period labels
//	IsTimeOfDayOperator  the hour/minute operators Date Only columns refuse
//
// Errors are plain values without positions; the caller wraps them.
//
// # Intervals
//
// An Interval is half-open, [Lo, Hi), with either bound possibly missing.
// Bounds are instants returned in UTC. Writing N for Settings.Now and, in
// Settings.Zone, T for today 00:00, H for the start of the current hour,
// M for the start of the current minute, W for 00:00 of the most recent
// Settings.WeekStart day (today included), MS for the first of the month
// and YS for 1 January, the operators resolve to (spec §2.3, normative):
//
//	today [T, T+1d)   yesterday [T−1d, T)   tomorrow [T+1d, T+2d)
//	last-seven-days [T−7d, N)               next-seven-days [N, T+8d)
//	this-week [W, W+7d)   last-week [W−7d, W)   next-week [W+7d, W+14d)
//	this/last/next-month  [MS, MS+1mo) / [MS−1mo, MS) / [MS+1mo, MS+2mo)
//	this/last/next-year   [YS, YS+1y)  / [YS−1y, YS)  / [YS+1y, YS+2y)
//	last-x-hours [H−X h, N)       next-x-hours [N, H+(X+1) h)
//	last-x-days [T−X d, N)        next-x-days [N, T+(X+1) d)
//	last-x-weeks [T−7X d, N)      next-x-weeks [N, T+(7X+1) d)
//	last-x-months [T−X mo, N)     next-x-months [N, (T+1d)+X mo)
//	last-x-years [T−X y, N)       next-x-years [N, (T+1d)+X y)
//	olderthan-x-minutes (−inf, M−X min)   olderthan-x-hours (−inf, H−X h)
//	olderthan-x-days (−inf, T−X d)        olderthan-x-weeks (−inf, T−7X d)
//	olderthan-x-months (−inf, T−X mo)     olderthan-x-years (−inf, T−X y)
//	on D [D, D+1d)   on-or-before D (−inf, D+1d)   on-or-after D [D, +inf)
//
// X must be an integer ≥ 1; an X so large that a bound leaves years
// 1–9999 is an error, as is any such bound. Operators without an operand
// ignore x.
//
// # Arithmetic
//
// Days, weeks, months and years are calendar arithmetic on the local date
// in Zone; the resulting date's midnight is then converted to an instant.
// A local day can therefore last 23 or 25 hours, and a month or year
// spanning a DST change is not a whole number of 24-hour days. Month and
// year steps clamp to the end of the month like .NET AddMonths and T-SQL
// DATEADD: 31 Mar − 1 month = 28/29 Feb, 29 Feb + 1 year = 28 Feb.
//
// Hours and minutes are elapsed time: H and M are Now minus its local
// minutes/seconds, and H−X h is X × 3600 s earlier. Across a DST change
// "the last 2 hours" is therefore two real hours (from 03:00 EDT back to
// 00:00 EST), and in a repeated hour H is the start of the hour Now is in.
// In zones with a fractional offset (Asia/Kolkata) H is a local full hour.
//
// # Missing and repeated wall-clock times
//
// time.Date leaves wall times in a DST gap or overlap unspecified (and in
// practice resolves a gap backwards west of UTC, forwards east of it). A
// midnight that does not exist (America/Santiago, America/Havana,
// Asia/Beirut move their clocks at 00:00) would then start a day on the
// previous date. Instead every boundary is the instant at which the wall
// clock reaches the wanted time for good:
//
//   - in a gap, the transition (Santiago 11 Sep 2022 starts at 01:00 −03);
//   - when repeated, the first instance (Havana 1 Nov 2020 starts at
//     00:00 CDT), unless the clocks went back to before it in between:
//     St. John's fell back at 00:01 NDT to 23:01 NST of the previous day
//     until 2011, so such a day starts at 00:00 NST, its second midnight.
//
// So consecutive days tile the time line, each day interval starts at an
// instant whose local date is that day, and Now lies in today, this week,
// this month, this year and the current fiscal period (save the one minute
// in St. John's between 00:00 and 00:01 NDT on a fall-back night, which
// belongs to the previous day). A date a zone skipped entirely (Kiribati
// 31 Dec 1994, Samoa 30 Dec 2011) yields an empty interval, Lo == Hi.
//
// Callers comparing Date Only or Time-Zone Independent columns (spec §2.5)
// take the wall clock of Lo and Hi in Zone; the rules above make that the
// intended local date.
//
// # Fiscal calendars
//
// Fiscal (start month and day, period type 2000–2004) is the organization
// setting. The fiscal year containing a date starts on the latest StartMonth/
// StartDay on or before it. Month-based periods (annual 1 × 12 months,
// semi-annual 2 × 6, quarterly 4 × 3, monthly 12 × 1) start at the
// fiscal-year start plus k months, counted from the year start with
// month-end clamping (a 31 Jan start gives 31 Jan, 28/29 Feb, 31 Mar, …),
// as the platform's fn_BeginOfFiscalPeriod does. Four-weekly periods are 13
// × 28 days from the year start; the last period runs to the next year's
// start, so period 13 also holds the 1–2 days left over and every year
// starts on the start date again. Fiscal boundaries are local midnights in
// Zone, and the current period is the one containing today's local date.
//
//	this/last/next-fiscal-year    the fiscal year containing today / the one before / after
//	this/last/next-fiscal-period  likewise for the period, crossing years as needed
//	last-x-fiscal-years X         [start of fiscal year (current − X), N)
//	last-x-fiscal-periods X       [start of period (current − X), N)
//	next-x-fiscal-years X         [N, start of fiscal year (current + X + 1))
//	next-x-fiscal-periods X       [N, end of period (current + X))
//	in-fiscal-year Y              fiscal year Y
//	in-fiscal-period-and-year P Y period P of fiscal year Y; in-or-before: (−inf, its end);
//	                              in-or-after: [its start, +inf)
//
// A period outside 1…periods-per-year is an error naming the valid range,
// except for in-fiscal-period, where a period above the range matches no
// rows (spec §2.4, D): FiscalPeriodMonths returns an empty set. Without
// fiscal settings every fiscal operator is an error. Start 29 Feb is
// refused, as Dataverse's fiscal settings dialog refuses it.
//
// # Unverified choices (U)
//
//   - Fiscal year names: a fiscal year is named after the calendar year in
//     which it starts (SQL 4 CDS; Dataverse's FiscalYearDisplayCode = 1).
//     Dataverse can also name it after the year in which it ends (display
//     code 2; for a 1 Jan start both agree). Only fiscalYearName and
//     fiscalYearStartYear encode this (spec §8 question 4).
//   - Week start: this/last/next-week start on Settings.WeekStart (default
//     Sunday). The on-premises 9.1 database function fn_BeginOfWeek reads
//     Organization.WeekStartDayCode, which supports honouring the org
//     setting; whether a user-level setting overrides it is unknown (spec
//     §8 question 3). last-x-weeks and friends count 7X days from today and
//     ignore the week start.
//   - next-x-months / next-x-years follow the spec's (T+1d) + X. The
//     on-premises functions fn_NextXMonth / fn_NextXYear compute
//     (T + X) + 1d, which differs only when month-end clamping applies
//     (on 30 Jan, next-x-months 1 ends 28 Feb here, 1 Mar there).
//   - Hours: the spec computes H in the user's zone; the on-premises
//     fn_BeginOfHour truncates in UTC. They differ only in zones with a
//     fractional offset.
//   - Gap and overlap resolution (above): Dataverse converts with .NET
//     time-zone rules we cannot observe; ours keeps the invariants.
//   - Four-weekly leftover days go to period 13 (as the platform's range
//     functions, whose period 13 ends at the next fiscal-year start; its
//     per-row fn_GetFiscalPeriod would call those days period 14).
//   - Labels: FiscalYearLabel is "FY" + year (the default prefix, YYYY, no
//     suffix). FiscalPeriodLabel is "<period> FY<year>" with the period in
//     Fiscal.PeriodFormat (Organization.FiscalPeriodFormatPeriod) or, when
//     0, the format the fiscal settings dialog preselects for the type:
//     "Quarter N" (quarterly; documented example "Quarter 1 FY2023"),
//     "Semester N" (semi-annual), the English name of the calendar month
//     the period starts in (monthly), "PN" (annual, four-weekly). The
//     year/period connector is a space. Only the quarterly label is
//     documented; the rest follow the organization settings' option labels.
//   - Day: the literal's own calendar date is used (its offset ignored)
//     and its midnights are taken in Zone.
package calendar
