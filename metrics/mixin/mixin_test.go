package mixin_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milestone-go/milestone/internal/testkit/promserver"
	"github.com/milestone-go/milestone/metrics"
	"github.com/milestone-go/milestone/metrics/collectortest"
	"github.com/milestone-go/milestone/metrics/mixin"
	"github.com/milestone-go/milestone/metrics/shardyfusion"
)

// TestCheckedInMixinIsCurrent fails when mixin/ no longer matches the
// built-in catalog; run `go generate ./...` from the module root.
func TestCheckedInMixinIsCurrent(t *testing.T) {
	files, err := mixin.Generate(shardyfusion.Catalog, shardyfusion.MixinConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := files.Check("../../mixin"); err != nil {
		t.Fatal(err)
	}
}

// TestPromtoolChecksTheRules runs promtool check rules on the rules of the
// built-in catalog and of another one.
func TestPromtoolChecksTheRules(t *testing.T) {
	for _, cat := range []*metrics.Catalog{shardyfusion.Catalog, collectortest.Catalog} {
		dir := t.TempDir()
		files, err := mixin.Generate(cat, configFor(cat))
		if err != nil {
			t.Fatal(err)
		}
		if err := files.Write(dir); err != nil {
			t.Fatal(err)
		}
		promserver.CheckRules(t, filepath.Join(dir, "alerts.yaml"), filepath.Join(dir, "rules.yaml"))
	}
}

// TestPromtoolUnitTests runs the hand-written unit tests of every built-in
// alert (mixin/tests/alerts_test.yaml): a series that fires it, with its
// labels and annotations, and one that does not.
func TestPromtoolUnitTests(t *testing.T) {
	promtool := promserver.RequirePromtool(t)
	out, err := exec.Command(promtool, "test", "rules", "../../mixin/tests/alerts_test.yaml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	// Every alert has its tests.
	tests, err := os.ReadFile("../../mixin/tests/alerts_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	alerts, _ := mixin.Alerts(shardyfusion.Catalog, shardyfusion.MixinConfig())
	for _, a := range alerts {
		if n := strings.Count(string(tests), "alertname: "+a.Name+"\n"); n < 2 {
			t.Errorf("%s has %d evaluations in the unit tests, want one that fires and one that does not", a.Name, n)
		}
	}
}

func TestAlertsHaveWhatTheyNeed(t *testing.T) {
	for _, cat := range []*metrics.Catalog{shardyfusion.Catalog, collectortest.Catalog} {
		alerts, err := mixin.Alerts(cat, configFor(cat))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := mixin.Generate(cat, configFor(cat))
		runbook := string(files["runbook.md"])
		for _, a := range alerts {
			if !strings.HasPrefix(a.Name, configFor(cat).AlertPrefix) || (a.Severity != "critical" && a.Severity != "warning" && a.Severity != "info") ||
				a.Summary == "" || a.Description == "" {
				t.Errorf("%s: %+v", a.Name, a)
			}
			if !strings.Contains(runbook, "\n## "+a.Name+"\n") {
				t.Errorf("runbook.md has no section for %s", a.Name)
			}
			if !strings.Contains(string(files["alerts.yaml"]), `runbook_url: "`+configFor(cat).RunbookURL+"#"+strings.ToLower(a.Name)+`"`) {
				t.Errorf("%s has no runbook_url to its section", a.Name)
			}
		}
	}
	// The built-in catalog has the alerts the issue asked for.
	alerts, _ := mixin.Alerts(shardyfusion.Catalog, shardyfusion.MixinConfig())
	var names []string
	for _, a := range alerts {
		names = append(names, a.Name)
	}
	for _, want := range []string{"ShardyfusionWritesFailed", "ShardyfusionWritesStalled", "ShardyfusionShardWriteRetriesHigh",
		"ShardyfusionS3RetriesExhausted", "ShardyfusionReaderGetLatencyHigh", "ShardyfusionRateLimiterDeniedHigh"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("no alert %s among %v", want, names)
		}
	}
}

func TestConfigIsApplied(t *testing.T) {
	cfg := mixin.Config{Window: 2 * time.Minute, WarnRate: 0.5, WarnFor: 3 * time.Minute,
		LatencyP99: map[string]time.Duration{"reader_multi_get_duration_seconds": 20 * time.Millisecond}, StallAfter: 30 * time.Minute}
	files, err := mixin.Generate(shardyfusion.Catalog, cfg.Or(shardyfusion.MixinConfig()))
	if err != nil {
		t.Fatal(err)
	}
	alerts := string(files["alerts.yaml"])
	for _, want := range []string{"[2m]", "> 0.5", "for: 3m", "reader_multi_get_duration_seconds_bucket[2m]))) > 0.02", "[30m]"} {
		if !strings.Contains(alerts, want) {
			t.Errorf("alerts.yaml lacks %q", want)
		}
	}
	if strings.Contains(alerts, "ReaderGetLatencyHigh") {
		t.Error("LatencyP99 replaced the defaults but the default alert stayed")
	}
	for _, bad := range []mixin.Config{
		{Window: -time.Second}, {WarnRate: -1},
		{LatencyP99: map[string]time.Duration{"nope_seconds": time.Second}},
		{Stalled: []mixin.Stall{{Name: "X", Started: "writes_started_total", Completed: "reader_get_duration_seconds"}}},
	} {
		if _, err := mixin.Generate(shardyfusion.Catalog, bad); err == nil {
			t.Errorf("Generate accepted %+v", bad)
		}
	}
}

func TestDashboard(t *testing.T) {
	files, err := mixin.Generate(shardyfusion.Catalog, shardyfusion.MixinConfig())
	if err != nil {
		t.Fatal(err)
	}
	raw := files["dashboards/shardyfusion.json"]
	var d struct {
		SchemaVersion int `json:"schemaVersion"`
		Templating    struct {
			List []struct{ Name, Type, Query string } `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Type, Title string
			Datasource  map[string]string `json:"datasource"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.SchemaVersion < 36 || len(d.Templating.List) != 1 || d.Templating.List[0].Name != "datasource" || d.Templating.List[0].Type != "datasource" {
		t.Errorf("schema %d, templating %+v", d.SchemaVersion, d.Templating)
	}
	rows, heatmaps := 0, 0
	for _, p := range d.Panels {
		switch p.Type {
		case "row":
			rows++
		case "heatmap":
			heatmaps++
			fallthrough
		default:
			if p.Datasource["uid"] != "${datasource}" {
				t.Errorf("panel %q does not use $datasource", p.Title)
			}
		}
	}
	hists := 0
	for _, in := range shardyfusion.Catalog.Instruments() {
		if in.Kind == metrics.Histogram {
			hists++
		}
	}
	if rows != 4 || heatmaps != hists {
		t.Errorf("%d rows (want one per group: 4), %d heatmaps (want %d)", rows, heatmaps, hists)
	}
	queries, err := mixin.Queries(raw, "1m")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(queries, "\n")
	for _, in := range shardyfusion.Catalog.Instruments() {
		if !strings.Contains(all, "shardyfusion_"+in.Name) {
			t.Errorf("no panel queries %s", in.Name)
		}
	}
	if !strings.Contains(all, "sum by (job, error_type)") {
		t.Error("the labeled counter is not broken down by its label")
	}
}

// configFor returns the thresholds a catalog's own package gives, or the
// defaults.
func configFor(cat *metrics.Catalog) mixin.Config {
	if cat == shardyfusion.Catalog {
		return shardyfusion.MixinConfig()
	}
	return mixin.DefaultConfig(cat)
}
