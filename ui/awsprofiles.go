package ui

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// awsProfileNames lists the profiles of the person's AWS configuration,
// for the profile picker: the [profile NAME] and [default] sections of
// the config file and the sections of the credentials file, where the
// AWS CLI and SDKs look for them ($AWS_CONFIG_FILE and
// $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials).
// Files that do not exist add nothing; the picker also takes free text.
func awsProfileNames(getenv func(string) string) []string {
	home, _ := os.UserHomeDir()
	path := func(env, name string) string {
		if v := strings.TrimSpace(getenv(env)); v != "" {
			return v
		}
		if home == "" {
			return ""
		}
		return filepath.Join(home, ".aws", name)
	}
	var names []string
	for _, f := range []struct {
		path   string
		config bool
	}{{path("AWS_CONFIG_FILE", "config"), true}, {path("AWS_SHARED_CREDENTIALS_FILE", "credentials"), false}} {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		if err != nil {
			continue
		}
		for _, n := range profileSections(data, f.config) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}

// profileSections returns the profile names of one file. In the config
// file a profile is [profile NAME] or [default]; other sections
// ([sso-session X], [services X]) are not profiles. In the credentials
// file every section is a profile.
func profileSections(data []byte, config bool) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[") {
			continue
		}
		end := strings.IndexByte(line, ']')
		if end < 0 {
			continue
		}
		name := strings.TrimSpace(line[1:end])
		if config {
			switch {
			case name == "default":
			case strings.HasPrefix(name, "profile ") || strings.HasPrefix(name, "profile\t"):
				name = strings.TrimSpace(name[len("profile "):])
			default:
				continue
			}
		}
		if name != "" {
			out = append(out, name)
		}
	}
	return out
}
