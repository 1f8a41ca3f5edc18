package sql

import (
	"testing"
	"time"

	sq "github.com/Masterminds/squirrel"
)

// BenchmarkEmitMedium emits the plan of /work/shared/bench/medium.xml
// (3 links, 10 conditions, order, paging). Budget: ≲ 3 µs, ≲ 15 allocs.
func BenchmarkEmitMedium(b *testing.B) {
	p := mediumPlan()
	for _, d := range Dialects() {
		b.Run(d.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Emit(p, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSquirrelMedium builds the same PostgreSQL statement with
// Masterminds/squirrel, for the builder choice in doc.go. It is generous
// to squirrel: identifiers are pre-quoted constants and no plan is walked.
func BenchmarkSquirrelMedium(b *testing.B) {
	b.ReportAllocs()
	now := time.Date(2024, 8, 17, 13, 20, 0, 0, time.UTC)
	later := time.Date(2024, 9, 17, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		_, _, err := sq.Select(`"opportunity"."opportunityid" AS "c0"`, `"opportunity"."name" AS "c1"`, `"opportunity"."estimatedvalue" AS "c2"`,
			`"opportunity"."closeprobability" AS "c3"`, `"a"."name" AS "c4"`, `"o"."fullname" AS "c5"`, `"c"."fullname" AS "c6"`).
			From(`"opportunity" AS "opportunity"`).
			Join(`"account" AS "a" ON "a"."accountid" = "opportunity"."customerid" AND LOWER("a"."address1_city") IN (LOWER(?), LOWER(?)) AND "a"."revenue" IS NOT NULL`, "Seattle", "Paris").
			Join(`"systemuser" AS "o" ON "o"."systemuserid" = "a"."ownerid" AND "o"."isdisabled" = ? AND "o"."fullname" IS NOT NULL`, false).
			LeftJoin(`"contact" AS "c" ON "c"."contactid" = "opportunity"."primarycontactid" AND (LOWER("c"."lastname") <> LOWER(?) OR "c"."lastname" IS NULL)`, "Smith").
			Where(sq.And{
				sq.Eq{`"opportunity"."statecode"`: int64(0)},
				sq.Gt{`"opportunity"."estimatedvalue"`: "10000"},
				sq.Expr(`LOWER("opportunity"."name") LIKE ? ESCAPE '!'`, "%deal%"),
				sq.Or{sq.GtOrEq{`"opportunity"."closeprobability"`: int64(50)}, sq.And{
					sq.GtOrEq{`"opportunity"."estimatedclosedate"`: now}, sq.Lt{`"opportunity"."estimatedclosedate"`: later}}},
			}).
			OrderBy(`"opportunity"."estimatedvalue" DESC NULLS LAST`, `"opportunity"."opportunityid" NULLS FIRST`).
			Limit(51).Offset(50).PlaceholderFormat(sq.Dollar).ToSql()
		if err != nil {
			b.Fatal(err)
		}
	}
}
