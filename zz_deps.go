package main

// Temporary: pins the module graph until the real code imports these.
import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/container"
	_ "fyne.io/fyne/v2/dialog"
	_ "fyne.io/fyne/v2/test"
	_ "fyne.io/fyne/v2/widget"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/jung-kurt/gofpdf"
	_ "github.com/stretchr/testify/assert"
	_ "github.com/stretchr/testify/require"
	_ "go.etcd.io/bbolt"
	_ "gopkg.in/yaml.v3"
)

func main() {}
