package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// partButton is one stop of the stepper over the playbook's parts: the
// part number and progress on top, the title (shortened to fit) below, and
// a bar under the selected part. Plain buttons cannot shorten their text,
// and the built-in parts have long titles.
type partButton struct {
	widget.BaseWidget
	onTap func()

	head  *widget.Label
	title *widget.Label
	bar   *canvas.Rectangle
	bg    *canvas.Rectangle
	root  fyne.CanvasObject
}

func newPartButton(onTap func()) *partButton {
	b := &partButton{
		onTap: onTap,
		head:  widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		title: widget.NewLabel(""),
		bar:   canvas.NewRectangle(color.Transparent),
		bg:    canvas.NewRectangle(color.Transparent),
	}
	b.title.Truncation = fyne.TextTruncateEllipsis
	b.title.SizeName = theme.SizeNameCaptionText
	b.bar.SetMinSize(fyne.NewSize(1, 3))
	b.bg.CornerRadius = theme.InputRadiusSize()
	text := container.New(&tightVBox{}, b.head, b.title)
	b.root = container.NewStack(b.bg, container.NewBorder(nil, b.bar, nil, nil, text))
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer draws the labels over the background.
func (b *partButton) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(b.root) }

// Tapped selects the part.
func (b *partButton) Tapped(*fyne.PointEvent) {
	if b.onTap != nil {
		b.onTap()
	}
}

// set shows the part's heading and title, highlighted when selected.
func (b *partButton) set(head, title string, selected, complete bool) {
	b.head.SetText(head)
	b.title.SetText(title)
	switch {
	case selected:
		b.bar.FillColor = theme.Color(theme.ColorNamePrimary)
		b.bg.FillColor = theme.Color(theme.ColorNameHover)
	default:
		b.bar.FillColor = color.Transparent
		b.bg.FillColor = color.Transparent
	}
	if complete {
		b.head.Importance = widget.SuccessImportance
	} else {
		b.head.Importance = widget.MediumImportance
	}
	b.head.Refresh()
	b.bar.Refresh()
	b.bg.Refresh()
}

// tightVBox stacks objects with no padding between them, so a heading and
// its caption read as one block.
type tightVBox struct{}

func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height - theme.Padding()
	}
	return s
}

func (tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - theme.Padding()
	}
}
