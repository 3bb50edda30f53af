package assets

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// These tests keep the design tokens honest: a designer can change any
// colour, and the tests say at once if a theme loses WCAG 2.2 AA contrast
// or a colour lacks its light or dark value.

func readCSS(t *testing.T) string {
	t.Helper()
	b, err := FS.ReadFile("css/app.css")
	if err != nil {
		t.Fatalf("read css/app.css: %v", err)
	}
	return string(b)
}

// block returns the text between the braces that follow the first
// occurrence of selector.
func block(t *testing.T, css, selector string) string {
	t.Helper()
	i := strings.Index(css, selector)
	if i < 0 {
		t.Fatalf("expected %q in app.css, it is not there", selector)
	}
	open := strings.IndexByte(css[i:], '{')
	if open < 0 {
		t.Fatalf("expected a { after %q", selector)
	}
	start := i + open + 1
	depth := 1
	for j := start; j < len(css); j++ {
		switch css[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return css[start:j]
			}
		}
	}
	t.Fatalf("unbalanced braces after %q", selector)
	return ""
}

// tokenSelector opens the one block of design tokens.
const tokenSelector = ":root {"

var (
	tokenRE     = regexp.MustCompile(`(--[a-z0-9-]+)\s*:\s*([^;]+);`)
	lightDarkRE = regexp.MustCompile(`^light-dark\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)$`)
)

func tokens(body string) map[string]string {
	m := map[string]string{}
	for _, sm := range tokenRE.FindAllStringSubmatch(body, -1) {
		m[sm[1]] = strings.TrimSpace(sm[2])
	}
	return m
}

// themes splits each light-dark(LIGHT, DARK) colour token into the two
// themes; all names the token block sets are returned in all.
func themes(t *testing.T) (light, dark, all map[string]string) {
	all = tokens(block(t, readCSS(t), tokenSelector))
	light, dark = map[string]string{}, map[string]string{}
	for k, v := range all {
		if m := lightDarkRE.FindStringSubmatch(v); m != nil {
			light[k], dark[k] = m[1], m[2]
		}
	}
	return light, dark, all
}

func luminance(hex string) (float64, error) {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return 0, fmt.Errorf("not a #rrggbb colour: %q", hex)
	}
	var c [3]float64
	for i := range 3 {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return 0, fmt.Errorf("not a #rrggbb colour: %q", hex)
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2], nil
}

func contrast(a, b string) (float64, error) {
	la, err := luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := luminance(b)
	if err != nil {
		return 0, err
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05), nil
}

// pairs are the foreground/background combinations the components use, with
// the WCAG 2.2 AA minimum: 4.5 for text, 3 for focus rings and control edges.
var pairs = []struct {
	fg, bg string
	min    float64
}{
	{"--color-text", "--color-bg", 4.5},
	{"--color-text", "--color-surface", 4.5},
	{"--color-text-muted", "--color-bg", 4.5},
	{"--color-text-muted", "--color-surface", 4.5},
	{"--color-text-muted", "--color-header-bg", 4.5},
	{"--color-link", "--color-bg", 4.5},
	{"--color-link", "--color-surface", 4.5},
	{"--color-link-hover", "--color-bg", 4.5},
	{"--color-link-hover", "--color-surface", 4.5},
	{"--color-link-visited", "--color-bg", 4.5},
	{"--color-link-visited", "--color-surface", 4.5},
	{"--color-primary-text", "--color-primary", 4.5},
	{"--color-primary-text", "--color-primary-hover", 4.5},
	{"--color-secondary-text", "--color-secondary", 4.5},
	{"--color-secondary-text", "--color-secondary-hover", 4.5},
	{"--color-border-strong", "--color-secondary", 3},
	{"--color-border-strong", "--color-surface", 3},
	{"--color-header-text", "--color-header-bg", 4.5},
	{"--color-footer-text", "--color-footer-bg", 4.5},
	{"--color-focus", "--color-bg", 3},
	{"--color-focus", "--color-surface", 3},
	{"--color-focus", "--color-header-bg", 3},
	{"--color-focus", "--color-footer-bg", 3},
	{"--color-info-text", "--color-info-bg", 4.5},
	{"--color-success-text", "--color-success-bg", 4.5},
	{"--color-error-text", "--color-error-bg", 4.5},
	{"--color-warning-text", "--color-warning-bg", 4.5},
	{"--color-link", "--color-info-bg", 4.5},
}

func TestThemesMeetAAContrast(t *testing.T) {
	light, dark, _ := themes(t)
	for name, theme := range map[string]map[string]string{"light": light, "dark": dark} {
		for _, p := range pairs {
			fg, bg := theme[p.fg], theme[p.bg]
			if fg == "" || bg == "" {
				t.Errorf("%s theme: expected tokens %s and %s, one is missing", name, p.fg, p.bg)
				continue
			}
			c, err := contrast(fg, bg)
			if err != nil {
				t.Errorf("%s theme, %s on %s: %v", name, p.fg, p.bg, err)
				continue
			}
			if c < p.min {
				t.Errorf("%s theme: expected %s (%s) on %s (%s) to reach %.1f:1, got %.2f:1", name, p.fg, fg, p.bg, bg, p.min, c)
			}
		}
	}
}

// Every colour token carries both themes, so a theme can never lose one.
func TestEveryColourHasBothThemes(t *testing.T) {
	light, dark, all := themes(t)
	for k, v := range all {
		if !strings.HasPrefix(k, "--color-") {
			continue
		}
		if light[k] == "" || dark[k] == "" {
			t.Errorf("expected colour token %s to be light-dark(LIGHT, DARK), got %q", k, v)
		}
	}
	css := readCSS(t)
	for theme, want := range map[string]string{"light": "color-scheme: light;", "dark": "color-scheme: dark;"} {
		if got := strings.TrimSpace(block(t, css, "\n[data-theme=\""+theme+"\"] {")); got != want {
			t.Errorf("expected [data-theme=%q] to choose the colour scheme only (%q), got %q", theme, want, got)
		}
	}
}

// Components use tokens only, so no raw colour may appear outside the token
// blocks.
func TestComponentsUseTokensOnly(t *testing.T) {
	css := readCSS(t)
	rest := css
	rest = strings.Replace(rest, block(t, rest, tokenSelector), "", 1)
	rest = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(rest, "")
	for _, m := range regexp.MustCompile(`#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(`).FindAllString(rest, -1) {
		t.Errorf("expected components to use colour tokens only, found a raw colour %q", m)
	}
}

func TestCSSHasNoImportsOrRemoteURLs(t *testing.T) {
	css := readCSS(t)
	for _, bad := range []string{"@import", "url(", "http://", "https://", "@font-face"} {
		if strings.Contains(css, bad) {
			t.Errorf("expected no %q in app.css (no CDNs, no web fonts), found it", bad)
		}
	}
}

// A theme set on any element must repaint that element: its parent's
// background and text colour were resolved with the parent's tokens.
func TestThemedElementsPaintThemselves(t *testing.T) {
	body := block(t, readCSS(t), "\n[data-theme] {")
	for _, want := range []string{"background: var(--color-bg)", "color: var(--color-text)"} {
		if !strings.Contains(body, want) {
			t.Errorf("expected %q in the [data-theme] rule, got %q", want, body)
		}
	}
}
