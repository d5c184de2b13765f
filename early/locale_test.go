package early

import (
	"os"
	"testing"

	"github.com/jeandeaual/go-locale"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"
)

func TestMain(m *testing.M) {
	// init already ran under the environment of `go test`; every test
	// starts from the user's own LANGUAGE.
	Restore()
	os.Exit(m.Run())
}

// setLocale sets the variables go-locale reads; "" unsets one for the test.
func setLocale(t *testing.T, lcAll, lcMessages, lang, languages string) {
	t.Helper()
	for k, v := range map[string]string{"LC_ALL": lcAll, "LC_MESSAGES": lcMessages, "LANG": lang, "LANGUAGE": languages} {
		t.Setenv(k, v)
		if v == "" {
			require.NoError(t, os.Unsetenv(k))
		}
	}
}

// fyneWouldComplain reports whether Fyne's lang package would log a parse
// error for the locales in the environment now.
func fyneWouldComplain(t *testing.T) bool {
	t.Helper()
	locs, err := locale.GetLocales()
	require.NoError(t, err)
	for _, l := range locs {
		if _, err := language.Parse(l); err != nil {
			return true
		}
	}
	return false
}

func TestALocaleThatNamesNoLanguageIsHiddenFromFyneAndRestoredAfterwards(t *testing.T) {
	for _, tc := range []struct {
		name                           string
		lcAll, lcMessages, lang, lang2 string
		want                           string
	}{
		{"LANG=C.UTF-8", "", "", "C.UTF-8", "", "C"},
		{"LC_ALL=C.UTF-8 over a French LANG", "C.UTF-8", "", "fr_FR.UTF-8", "", "C"},
		{"LC_MESSAGES=C.utf8", "", "C.utf8", "", "", "C"},
		{"LANGUAGE with a C entry keeps the others", "", "", "en_US.UTF-8", "fr:C:de", "fr:de"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setLocale(t, tc.lcAll, tc.lcMessages, tc.lang, tc.lang2)
			require.True(t, fyneWouldComplain(t), "the case must be one Fyne logs about")

			assert.True(t, Quiet())
			assert.Equal(t, tc.want, os.Getenv("LANGUAGE"))
			assert.False(t, fyneWouldComplain(t))

			Restore()
			v, set := os.LookupEnv("LANGUAGE")
			assert.Equal(t, tc.lang2 != "", set, "LANGUAGE set again only if it was")
			assert.Equal(t, tc.lang2, v)
			assert.Equal(t, tc.lang, os.Getenv("LANG"), "LANG is never touched")
			assert.Equal(t, tc.lcAll, os.Getenv("LC_ALL"), "LC_ALL is never touched")
		})
	}
}

func TestALocaleThatNamesALanguageIsLeftForFyneToTranslate(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		lcAll, lang, languages string
		want                   []string
	}{
		{"French LANG", "", "fr_FR.UTF-8", "", []string{"fr-FR"}},
		{"LANGUAGE list", "", "en_US.UTF-8", "de:en", []string{"de", "en"}},
		{"LC_ALL=C", "C", "fr_FR.UTF-8", "", nil},
		{"LANG=POSIX", "", "POSIX", "", nil},
		{"nothing set", "", "", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setLocale(t, tc.lcAll, "", tc.lang, tc.languages)
			assert.False(t, Quiet())
			assert.Equal(t, tc.languages, os.Getenv("LANGUAGE"))
			locs, err := locale.GetLocales()
			require.NoError(t, err)
			assert.Equal(t, tc.want, locs)
			Restore()
			assert.Equal(t, tc.languages, os.Getenv("LANGUAGE"))
		})
	}
}
