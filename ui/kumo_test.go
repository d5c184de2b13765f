package ui

import (
	"sync"

	"github.com/sivchari/kumo"
)

// kumoServer is the test binary's one kumo. kumo keeps one S3 store per
// process whatever the number of servers, and each new server rewires that
// store (its notification publishers) while the notification goroutines of
// earlier PutObject calls may read it: a data race inside kumo, which -race
// reports now and then. One server per process avoids it; the tests keep
// their bucket names apart, as they must anyway.
var kumoServer = sync.OnceValue(kumo.NewServer)
