// Package testenv lets tests that need something beyond Go (Chromium, Node
// packages, Redis, PostgreSQL) find it, and decides what happens when it is
// missing: a one-line skip on a developer's machine, a failure in CI.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where nothing may be
// skipped for want of a program.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test locally, or fails it in CI, with one clear line
// saying what is missing and how to get it.
func Missing(t testing.TB, what, howToGet string) {
	t.Helper()
	msg := what + " is missing (" + howToGet + ")"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// LookPath returns the path of a program, or skips/fails through Missing.
func LookPath(t testing.TB, program, howToGet string) string {
	t.Helper()
	for _, candidate := range []string{program} {
		if p, err := exec.LookPath(candidate); err == nil {
			return p
		}
	}
	Missing(t, program, howToGet)
	return ""
}

// ModuleRoot is the folder holding go.mod.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// NodeModules is where `task deps:node` (and .ci/run) install the
// npm packages tests use: MockPass and axe-core.
func NodeModules() string {
	if dir := os.Getenv("SGIDWEB_NODE_MODULES"); dir != "" {
		return dir
	}
	return filepath.Join(ModuleRoot(), ".ci", "node", "node_modules")
}

// NodePackage returns the folder of an installed npm package, or skips/fails.
func NodePackage(t testing.TB, name string) string {
	t.Helper()
	LookPath(t, "node", "install Node.js 20")
	dir := filepath.Join(NodeModules(), name)
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		Missing(t, "npm package "+name, "run `task deps:node`")
	}
	return dir
}
