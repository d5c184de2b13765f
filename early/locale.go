// Package early keeps Fyne's translations package from logging "Error
// parsing user locale C" when the process starts under a locale that names
// no language, such as C.UTF-8 (the default of Debian containers, CI
// runners and many SSH sessions).
//
// fyne.io/fyne/v2/lang reads the locale in its package init, before main
// runs: it takes LC_ALL, LC_MESSAGES or LANG (or LANGUAGE) through
// github.com/jeandeaual/go-locale, cuts "C.UTF-8" down to "C", fails to
// parse that as a BCP 47 tag and logs three lines on stderr. Plain "C" and
// "POSIX" are skipped by go-locale, so only C.<codeset> and LANGUAGE
// entries like "C" trigger it.
//
// This package's init runs first and, only when one of those entries would
// fail, points LANGUAGE (which go-locale prefers whenever the locale is not
// exactly C or POSIX) at the entries that do parse, or at "C" when none
// does, which go-locale reads as no preference: Fyne then falls back to
// English, exactly what it does for LANG=C. A locale that names a language
// (fr_FR.UTF-8, LANGUAGE=de:en) is left alone, so the window keeps Fyne's
// translations. main calls Restore before anything else, so children and
// later reads see the user's environment unchanged.
//
// Why a module of its own: since Go 1.21 packages are initialised in the
// order of their import paths, each once its imports are. Every package of
// the s3responder module sorts after fyne.io/..., so its init would run
// after Fyne's; "early" sorts before, and imports nothing that Fyne's lang
// package does not import itself, so its init runs before lang's.
package early

import (
	"os"
	"strings"

	"github.com/jeandeaual/go-locale"
	"golang.org/x/text/language"
)

// LANGUAGE as it was before Quiet changed it: saved says Quiet did, wasSet
// and savedValue what it was.
var (
	saved, wasSet bool
	savedValue    string
)

func init() {
	Quiet()
}

// Quiet makes the locale Fyne is about to read one it can parse, changing
// LANGUAGE only when needed. It reports whether it changed anything.
func Quiet() bool {
	locs, err := locale.GetLocales()
	if err != nil || len(locs) == 0 {
		return false
	}
	keep := make([]string, 0, len(locs))
	for _, l := range locs {
		// The same parse Fyne's lang package does on each entry.
		if _, err := language.Parse(l); err == nil {
			keep = append(keep, l)
		}
	}
	if len(keep) == len(locs) {
		return false
	}
	if !saved {
		savedValue, wasSet = os.LookupEnv("LANGUAGE")
		saved = true
	}
	value := "C"
	if len(keep) > 0 {
		value = strings.Join(keep, ":")
	}
	return os.Setenv("LANGUAGE", value) == nil
}

// Restore puts LANGUAGE back as it was before Quiet changed it.
func Restore() {
	if !saved {
		return
	}
	saved = false
	if wasSet {
		_ = os.Setenv("LANGUAGE", savedValue)
	} else {
		_ = os.Unsetenv("LANGUAGE")
	}
}
