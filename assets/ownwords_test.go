package assets_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/assets"
)

// The playbook must be in our own words. The check: no run of shingleLen
// consecutive words of AWS's template appears in playbook.yaml. The template
// itself is not in the repository; testdata/original-shingles.txt holds a
// truncated SHA-256 of each of its word runs instead, so the check runs
// everywhere without carrying a line of the template's text.
//
// With S3R_PLAYBOOK_ORIGINAL set to the template's markdown, the tests also
// read the template itself: the shingle file must match it (regenerate with
// -update-shingles) and its numbered steps must match the id list.

const shingleLen = 8

// shingleHexLen is how much of each SHA-256 is kept: 48 bits make a chance
// collision between a few thousand shingles on each side negligible.
const shingleHexLen = 12

var updateShingles = flag.Bool("update-shingles", false, "rewrite testdata/original-shingles.txt from $S3R_PLAYBOOK_ORIGINAL")

var (
	mdLinkTarget = regexp.MustCompile(`\]\([^)]*\)`)
	bareURL      = regexp.MustCompile(`https?://\S+`)
	notWord      = regexp.MustCompile(`[^a-z0-9]+`)
)

// words normalises text for comparison: link targets and URLs dropped,
// lower case, anything but letters and digits as a separator.
func words(text string) []string {
	text = mdLinkTarget.ReplaceAllString(text, "] ")
	text = bareURL.ReplaceAllString(text, " ")
	text = strings.ToLower(text)
	return strings.Fields(notWord.ReplaceAllString(text, " "))
}

func shingleHash(ws []string) string {
	sum := sha256.Sum256([]byte(strings.Join(ws, " ")))
	return hex.EncodeToString(sum[:])[:shingleHexLen]
}

// shingles maps the hash of every run of shingleLen words to the run.
func shingles(text string) map[string]string {
	ws := words(text)
	out := map[string]string{}
	for i := 0; i+shingleLen <= len(ws); i++ {
		run := ws[i : i+shingleLen]
		out[shingleHash(run)] = strings.Join(run, " ")
	}
	return out
}

// copied returns the word runs of text whose hash is in forbidden.
func copied(text string, forbidden map[string]bool) []string {
	var out []string
	for h, run := range shingles(text) {
		if forbidden[h] {
			out = append(out, run)
		}
	}
	slices.Sort(out)
	return out
}

func readShingleFile(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("testdata/original-shingles.txt")
	require.NoError(t, err)
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		require.Len(t, line, shingleHexLen, "bad line %q", line)
		out[line] = true
	}
	require.NoError(t, sc.Err())
	return out
}

func TestOwnWords(t *testing.T) {
	forbidden := readShingleFile(t)
	// The template has a few thousand words: an almost empty file means it
	// was truncated, and the check would pass vacuously.
	require.Greater(t, len(forbidden), 3000)
	hits := copied(string(assets.Playbook), forbidden)
	assert.Empty(t, hits, "playbook.yaml repeats %d-word runs of AWS's template; restate them", shingleLen)
}

// The detector itself must be able to fail: any run of our own text, once
// marked forbidden, is found again, whatever the case, punctuation or line
// breaks around it.
func TestOwnWordsDetectorFindsCopies(t *testing.T) {
	text := string(assets.Playbook)
	ws := words(text)
	require.Greater(t, len(ws), 1000)
	run := ws[500 : 500+shingleLen]
	forbidden := map[string]bool{shingleHash(run): true}
	assert.Equal(t, []string{strings.Join(run, " ")}, copied(text, forbidden))

	reflowed := strings.ToUpper(strings.Join(run[:4], " ")) + ",\n  (" + strings.Join(run[4:], "  ") + ")."
	assert.Len(t, copied("prefix "+reflowed+" suffix", forbidden), 1)
	assert.Empty(t, copied(strings.Join(run[:shingleLen-1], " "), forbidden), "seven words are not a copy")
	assert.Empty(t, copied("see [the guide](https://example.com/"+strings.Join(run, "/")+")", forbidden), "link targets are ignored")
}

// originalPath returns the template's markdown when the environment points
// to it. CI does not set it; TestOwnWords covers the check there.
func originalPath(t *testing.T) (string, bool) {
	t.Helper()
	p := os.Getenv("S3R_PLAYBOOK_ORIGINAL")
	if p == "" {
		return "", false
	}
	return p, true
}

func TestOwnWordsAgainstOriginal(t *testing.T) {
	p, ok := originalPath(t)
	if !ok {
		t.Log("S3R_PLAYBOOK_ORIGINAL not set: checked against testdata/original-shingles.txt only")
		return
	}
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	orig := shingles(string(raw))
	hashes := make([]string, 0, len(orig))
	forbidden := map[string]bool{}
	for h := range orig {
		hashes = append(hashes, h)
		forbidden[h] = true
	}
	slices.Sort(hashes)

	if *updateShingles {
		body := "# Truncated SHA-256 of every " + strconv.Itoa(shingleLen) + "-word run of AWS's playbook template, normalised\n" +
			"# as in ownwords_test.go. Regenerate: S3R_PLAYBOOK_ORIGINAL=<template.md> go test ./assets -run AgainstOriginal -update-shingles\n" +
			strings.Join(hashes, "\n") + "\n"
		require.NoError(t, os.WriteFile("testdata/original-shingles.txt", []byte(body), 0o644))
	}
	assert.Equal(t, forbidden, readShingleFile(t), "testdata/original-shingles.txt is out of date: rerun with -update-shingles")

	var hits []string
	for h, run := range shingles(string(assets.Playbook)) {
		if forbidden[h] {
			hits = append(hits, run)
		}
	}
	slices.Sort(hits)
	assert.Empty(t, hits, "playbook.yaml repeats word runs of the template")
	t.Logf("template: %d distinct %d-word runs; playbook.yaml: %d; shared: %d", len(orig), shingleLen, len(shingles(string(assets.Playbook))), len(hits))
}

var (
	partHeading = regexp.MustCompile(`^#+\s*Part\s+(\d)\b`)
	numbered    = regexp.MustCompile(`^\s*(\d+)\.\s`)
)

// TestIDListAgainstOriginal checks the hand-written id list against the
// template's numbered items: the same numbers, in the same order, part by
// part, once the two documented numbering decisions that add or drop items
// are applied. (The decisions that only move items, under 3.1.2, do not
// change this sequence; TestNestingFollowsNumbering covers the tree.)
func TestIDListAgainstOriginal(t *testing.T) {
	p, ok := originalPath(t)
	if !ok {
		t.Log("S3R_PLAYBOOK_ORIGINAL not set: the id list is checked by TestStepIDsMatchTemplate only")
		return
	}
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	perPart := map[string][]string{}
	part := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := partHeading.FindStringSubmatch(line); m != nil {
			part = m[1]
			continue
		}
		if m := numbered.FindStringSubmatch(line); m != nil && part != "" {
			perPart[part] = append(perPart[part], m[1])
		}
	}
	require.NoError(t, sc.Err())

	// Part 3 opens with a two-item overview that is guidance, not steps.
	require.GreaterOrEqual(t, len(perPart["3"]), 2)
	require.Equal(t, []string{"1", "2"}, perPart["3"][:2])
	perPart["3"] = perPart["3"][2:]
	// Part 4's unnumbered comparison paragraph after item 5 is step 4.6.
	require.GreaterOrEqual(t, len(perPart["4"]), 5)
	perPart["4"] = slices.Insert(perPart["4"], 5, "6")

	listed := map[string][]string{}
	for _, id := range originalIDs(t) {
		parts := strings.Split(id, ".")
		listed[parts[0]] = append(listed[parts[0]], parts[len(parts)-1])
	}
	for _, p := range partIDs {
		assert.Equal(t, perPart[p], listed[p], "numbers of Part %s, in order", p)
	}
}
