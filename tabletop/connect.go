package tabletop

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	pathpkg "path"
	"strings"
	"time"

	"s3responder/app"
	"s3responder/assets"
)

// DefaultScenario is the id of the built-in scenario the profile
// "tabletop" chooses.
const DefaultScenario = "public-exports"

// Builtin parses the scenarios that ship in the binary, the default first.
func Builtin() ([]*Scenario, error) {
	entries, err := fs.ReadDir(assets.Scenarios, "scenarios")
	if err != nil {
		return nil, fmt.Errorf("read the built-in scenarios: %w", err)
	}
	var out []*Scenario
	for _, e := range entries {
		name := pathpkg.Join("scenarios", e.Name())
		data, err := fs.ReadFile(assets.Scenarios, name)
		if err != nil {
			return nil, fmt.Errorf("read built-in scenario %s: %w", name, err)
		}
		sc, err := ParseScenario("built-in "+name, data)
		if err != nil {
			return nil, err
		}
		if sc.ID == DefaultScenario {
			out = append([]*Scenario{sc}, out...)
		} else {
			out = append(out, sc)
		}
	}
	return out, nil
}

// Connector wraps the real connector of main: a profile marked Exercise
// gets a simulated account and the real connector never sees it; every
// other profile goes to the real connector, except a profile named like
// a simulated account, which is refused rather than looked up in the AWS
// configuration. scenarios are the ones a profile can name; none means
// the built-in ones.
//
// A profile chooses its scenario by name (app.SimulatedProfileName):
// "tabletop" (or "") is the first scenario, "tabletop:ID" the scenario
// with that id, and "tabletop:FILE" a scenario file, read afresh at every
// connection so a facilitator's edits show on reconnecting.
func Connector(next app.Connector, scenarios ...*Scenario) app.Connector {
	return func(ctx context.Context, p app.Profile) (app.Cloud, error) {
		if !p.Exercise {
			if app.IsSimulatedProfileName(p.Name) {
				return nil, fmt.Errorf("%w: profile %q is the simulated account of tabletop exercises; a real incident needs a profile of your AWS configuration", app.ErrInvalid, p.Name)
			}
			if next == nil {
				return nil, fmt.Errorf("%w: this build of S3 Responder cannot reach AWS", app.ErrInvalid)
			}
			return next(ctx, p)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		list := scenarios
		if len(list) == 0 {
			var err error
			if list, err = Builtin(); err != nil {
				return nil, err
			}
		}
		sc, err := pick(strings.TrimSpace(p.Name), list)
		if err != nil {
			return nil, err
		}
		return NewAccount(sc, strings.TrimSpace(p.Region), func() time.Time { return time.Now().UTC() }), nil
	}
}

// pick finds the scenario a profile name chooses.
func pick(name string, list []*Scenario) (*Scenario, error) {
	if name == "" || name == app.SimulatedProfileName {
		if len(list) == 0 {
			return nil, fmt.Errorf("%w: this build has no tabletop scenario: name a scenario file (profile tabletop:FILE)", app.ErrInvalid)
		}
		return list[0], nil
	}
	rest, ok := strings.CutPrefix(name, app.SimulatedProfileName+":")
	if !ok {
		return nil, fmt.Errorf("%w: an exercise runs on a simulated account, never on AWS profile %q: choose profile %s (the built-in scenario), %s:ID for another built-in scenario or %s:FILE for a scenario file",
			app.ErrInvalid, name, app.SimulatedProfileName, app.SimulatedProfileName, app.SimulatedProfileName)
	}
	for _, sc := range list {
		if sc.ID == rest {
			return sc, nil
		}
	}
	data, err := os.ReadFile(rest)
	if err != nil {
		ids := make([]string, 0, len(list))
		for _, sc := range list {
			ids = append(ids, sc.ID)
		}
		return nil, fmt.Errorf("%w: %q is neither a built-in scenario (%s) nor a scenario file that can be read: %v", app.ErrInvalid, rest, strings.Join(ids, ", "), err)
	}
	return ParseScenario(rest, data)
}
