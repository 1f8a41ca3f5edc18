package server_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vecompile/vecompile/server"
)

// nodeClient runs a script of server/testdata/odata-client against a
// listening server (with the sample's security model when secured, as the
// System Administrator), and decodes its JSON output into out. Without node or
// the installed packages it skips locally and fails in CI (.ci/run runs
// npm ci there).
func nodeClient(t *testing.T, script string, secured bool, out any) *env {
	t.Helper()
	dir := filepath.Join("testdata", "odata-client")
	node := npmClient(t, "@odata/client", "odata-openapi")
	e := newEnv(t, fixtures(t)[0], func(c *server.Config) {
		c.Users = server.SameIDs{}
		if !secured {
			return
		}
		c.Insecure = false
		c.Security = server.NewSecurityModel(sampleModel(t))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VE_BASE="+e.http.URL, "VE_TOKEN="+e.token, "VE_USER=aa000000-0000-4000-8000-000000000001")
	outb, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s failed: %v\n%s", script, err, stderr)
	}
	if err := json.Unmarshal(outb, out); err != nil {
		t.Fatalf("%s output: %v\n%s", script, err, outb)
	}
	return e
}

// TestGenericODataClient: a client generated from $metadata (OpenAPI by
// the OASIS converter) sends only requests the server serves: the
// Capabilities annotations withdraw $search, $skip and navigation paths.
// Without them the same client is refused, which shows the annotations
// are what keeps it right.
func TestGenericODataClient(t *testing.T) {
	type run struct {
		Requests int      `json:"requests"`
		Refused  []string `json:"refused"`
		// Forbidden counts 403s: tables the caller holds no privilege
		// on, which $metadata does not state (nor does Dataverse's).
		Forbidden int `json:"forbidden"`
		Offers    struct {
			Search          bool     `json:"search"`
			Skip            bool     `json:"skip"`
			NavigationPaths []string `json:"navigationPaths"`
			Batch           bool     `json:"batch"`
		} `json:"offers"`
	}
	var got struct{ Annotated, Stripped run }
	nodeClient(t, "generic.js", true, &got)
	a, s := got.Annotated, got.Stripped
	t.Logf("annotated: %d requests, %d refused, %d forbidden; stripped: %d requests, %d refused", a.Requests, len(a.Refused), a.Forbidden, s.Requests, len(s.Refused))
	if a.Requests < 100 {
		t.Errorf("the generated client sent %d requests: the OpenAPI offers too little to prove anything", a.Requests)
	}
	if len(a.Refused) > 0 {
		t.Errorf("refused requests the annotated $metadata offers:\n%s", strings.Join(a.Refused, "\n"))
	}
	if a.Offers.Search || a.Offers.Skip || len(a.Offers.NavigationPaths) > 0 || !a.Offers.Batch {
		t.Errorf("annotated offers: %+v", a.Offers)
	}
	if !s.Offers.Search || !s.Offers.Skip || len(s.Offers.NavigationPaths) == 0 {
		t.Errorf("without annotations the converter offers $search, $skip and navigation paths: %+v", s.Offers)
	}
	refusedKinds := map[string]bool{}
	for _, r := range s.Refused {
		switch {
		case strings.Contains(r, "$search="):
			refusedKinds["search"] = true
		case strings.Contains(r, "$skip="):
			refusedKinds["skip"] = true
		case strings.Contains(r, ")/") && !strings.Contains(r, ")/$count"):
			refusedKinds["navigation"] = true
		}
	}
	if !refusedKinds["search"] || !refusedKinds["skip"] || !refusedKinds["navigation"] {
		t.Errorf("without annotations the client should meet refusals of $search, $skip and navigation paths; refused: %v", refusedKinds)
	}
}

// TestWebAPIClient: a client written as Dataverse Web API clients are
// (server/testdata/odata-client/webapi.js) pages through accounts with
// annotations, expands by the annotated navigation property (an owner's
// too, owninguser or owningteam, with the expanded entity's formatted
// values), and sends a
// multipart $batch whose change set binds a contact to the account it
// creates by Content-ID.
func TestWebAPIClient(t *testing.T) {
	var got struct {
		Pages             int      `json:"pages"`
		Names             []string `json:"names"`
		PreferenceApplied string   `json:"preferenceApplied"`
		OwnerTargets      []string `json:"ownerTargets"`
		ContactLookup     struct {
			AccountID   string `json:"accountid"`
			Value       string `json:"value"`
			LogicalName string `json:"logicalName"`
			Navigation  string `json:"navigation"`
		} `json:"contactLookup"`
		ExpandedContactID string `json:"expandedContactId"`
		Owners            []struct {
			Target, Navigation, CreatedOn, Formatted string
		} `json:"owners"`
		BatchStatus            int      `json:"batchStatus"`
		BatchStatuses          []int    `json:"batchStatuses"`
		BatchRead              []string `json:"batchRead"`
		BoundParent            bool     `json:"boundParent"`
		BoundParentLogicalName string   `json:"boundParentLogicalName"`
		BoundParentNavigation  string   `json:"boundParentNavigation"`
	}
	// The sample's administrator may not create contacts: the suite runs
	// without the security model (its reads are tested secured above).
	e := nodeClient(t, "webapi.js", false, &got)
	e.user = "aa000000-0000-4000-8000-000000000001"
	want := e.do("GET", "/odata/accounts?$select=name&$orderby=name,accountid", nil).want(t, 200).json(t)["value"].([]any)
	if len(got.Names) != len(want) || got.Pages != (len(want)+6)/7 {
		t.Errorf("paged %d accounts in %d pages, want %d in %d", len(got.Names), got.Pages, len(want), (len(want)+6)/7)
	}
	for i := range min(len(want), len(got.Names)) {
		if got.Names[i] != want[i].(map[string]any)["name"] {
			t.Errorf("account %d: %q, want %v", i, got.Names[i], want[i])
			break
		}
	}
	if !strings.Contains(got.PreferenceApplied, `odata.include-annotations="*"`) || !strings.Contains(got.PreferenceApplied, "odata.maxpagesize=7") {
		t.Errorf("Preference-Applied %q", got.PreferenceApplied)
	}
	// The sample's accounts are owned by users and by teams.
	if !slices.Equal(got.OwnerTargets, []string{"systemuser", "team"}) {
		t.Errorf("owner targets %v", got.OwnerTargets)
	}
	if c := got.ContactLookup; c.LogicalName != "contact" || c.Navigation != "primarycontactid" || got.ExpandedContactID != c.Value {
		t.Errorf("contact lookup %+v, expanded %s", c, got.ExpandedContactID)
	}
	// The owner's annotated navigation property (owninguser, owningteam)
	// expands, with the expanded entity's formatted values.
	for i, o := range got.Owners {
		nav := []string{"owninguser", "owningteam"}[i]
		_, err := time.Parse(time.RFC3339, o.CreatedOn)
		if o.Navigation != nav || err != nil || !strings.Contains(o.Formatted, ":") {
			t.Errorf("owner %+v: want navigation %s and createdon formatted", o, nav)
		}
	}
	if len(got.Owners) != 2 {
		t.Errorf("owners %+v", got.Owners)
	}
	if got.BatchStatus != 200 || len(got.BatchStatuses) != 3 || got.BatchStatuses[0] != 204 || got.BatchStatuses[1] != 204 || got.BatchStatuses[2] != 200 || len(got.BatchRead) != 1 {
		t.Errorf("$batch: %d %v, read %v", got.BatchStatus, got.BatchStatuses, got.BatchRead)
	}
	if !got.BoundParent || got.BoundParentLogicalName != "account" || got.BoundParentNavigation != "parentcustomerid_account" {
		t.Errorf("the contact created in the change set: bound %v, %q, %q", got.BoundParent, got.BoundParentLogicalName, got.BoundParentNavigation)
	}
}
