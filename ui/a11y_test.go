package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeVersion is the axe-core release `provisioning/dev-deps.sh test`
// installs (AXE_VERSION there): pinned, so a release with new rules fails
// the commit that updates it and not an unrelated one.
const axeVersion = "4.14.1"

// axeTags are the rule sets run: WCAG 2.0, 2.1 and 2.2, levels A and AA.
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']`

var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv("XEPHANG_AXE")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		path = filepath.Join(cache, "xephang", "axe-core-"+axeVersion, "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("axe-core %s is needed for the accessibility checks (run provisioning/dev-deps.sh test): %w", axeVersion, err)
	}
	return string(b), nil
})

// axeViolation is one rule axe-core found broken, with the elements.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	URL    string `json:"helpUrl"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// assertAccessible runs axe-core's WCAG 2.2 A/AA rules on the page as it
// is now and fails the test for each violation, naming the rule, its
// impact, the elements and the help. step says where in the flow the page
// is. axe is loaded into the page on its first check (and again after a
// navigation).
func assertAccessible(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatal(err)
	}
	must(t, step+": load axe-core", chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`void (window.axe || (0, eval)(`+jsString(src)+`))`)))
	// Transitions under way (a toast fading in) end first: axe reads the
	// colours of the moment, and half-faded text is not what stays on screen.
	// Endless animations (a spinner) are not waited for.
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`Promise.all(document.getAnimations()
		.filter((a) => a.effect && Number.isFinite(a.effect.getComputedTiming().endTime))
		.map((a) => a.finished.catch(() => {})))
	.then(() => axe.run(document, {
		runOnly: {type: 'tag', values: `+axeTags+`},
		resultTypes: ['violations'],
	}).then((r) => r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
		nodes: v.nodes.map((n) => ({target: n.target, failureSummary: n.failureSummary}))}))))`, chromedp.EvalAwaitPromise))
	must(t, step+": run axe-core", err)
	for _, v := range found {
		var nodes []string
		for i, n := range v.Nodes {
			if i == 5 {
				nodes = append(nodes, fmt.Sprintf("and %d more", len(v.Nodes)-i))
				break
			}
			nodes = append(nodes, fmt.Sprintf("%v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " ")))
		}
		t.Errorf("%s: axe %s (%s): %s\n\t%s\n\t%s", step, v.ID, v.Impact, v.Help, strings.Join(nodes, "\n\t"), v.URL)
	}
}

// jsString quotes s as a JavaScript string literal (JSON's escapes,
// U+2028 and U+2029 included, are JavaScript's).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
