package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/certhunt/certhunt/internal/detect"
)

// slack posts an incoming-webhook message: a fallback text plus blocks with the key facts.
type slack struct {
	cfg    Config
	client *http.Client
	links  linker
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string         `json:"type"`
	Text     *slackText     `json:"text,omitempty"`
	Fields   []slackText    `json:"fields,omitempty"`
	Elements []slackElement `json:"elements,omitempty"`
}

type slackElement struct {
	Type string    `json:"type"`
	Text slackText `json:"text"`
	URL  string    `json:"url"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackTopReasons is how many reasons the message lists, highest points first.
const slackTopReasons = 5

// slackEscaper escapes the three characters Slack's mrkdwn treats as control sequences, so that
// certificate text can neither inject links nor mentions.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackEscape(s string) string { return slackEscaper.Replace(printable(s)) }

// slackCode shows untrusted s as inline code: escaped, and never auto-linked by Slack, so a
// lookalike domain is not a clickable link in the channel.
func slackCode(s string) string {
	if s == "" {
		return "-"
	}
	return "`" + slackEscape(strings.ReplaceAll(s, "`", "'")) + "`"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func (s *slack) message(ev Event) slackMessage {
	inc := ev.Incident
	what := "New incident"
	switch ev.Kind {
	case KindSeverityRaised:
		what = "Severity raised"
	case KindWentLive:
		what = "Went live"
	case KindLoginForm:
		what = "Login form appeared"
	}
	domain := inc.Domain
	if inc.DomainUnicode != "" && inc.DomainUnicode != inc.Domain {
		domain = inc.DomainUnicode + " (" + inc.Domain + ")"
	}
	msg := slackMessage{
		Text: fmt.Sprintf("certhunt: %s, %s %s looks like %s (score %d)", what, slackEscape(inc.Severity),
			slackEscape(inc.Domain), slackEscape(inc.Asset), inc.Score),
	}
	msg.Blocks = append(msg.Blocks, slackBlock{
		Type: "section",
		Text: &slackText{Type: "mrkdwn", Text: fmt.Sprintf("*%s: %s lookalike*\n%s", what,
			slackEscape(strings.ToUpper(inc.Severity)), slackCode(truncate(domain, 300)))},
		Fields: []slackText{
			{Type: "mrkdwn", Text: "*Severity*\n" + slackEscape(inc.Severity)},
			{Type: "mrkdwn", Text: "*Score*\n" + strconv.Itoa(inc.Score)},
			{Type: "mrkdwn", Text: "*Asset*\n" + slackCode(inc.Asset)},
			{Type: "mrkdwn", Text: "*Match*\n" + slackEscape(inc.Matched.Kind) + " " + slackCode(truncate(inc.Matched.Value, 200))},
		},
	})
	if len(inc.Reasons) > 0 {
		reasons := slices.Clone(inc.Reasons)
		slices.SortStableFunc(reasons, func(a, b detect.Reason) int { return cmp.Compare(b.Points, a.Points) })
		var b strings.Builder
		b.WriteString("*Top reasons*")
		for _, r := range reasons[:min(len(reasons), slackTopReasons)] {
			fmt.Fprintf(&b, "\n• %s (+%d): %s", slackEscape(r.Rule), r.Points, slackEscape(truncate(r.Detail, 200)))
		}
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: b.String()}})
	}
	if ev := evidenceSummary(inc.Enrichment); ev != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: "*Evidence*\n" + slackEscape(ev)}})
	}
	if link := s.links.incident(inc.ID); link != "" {
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "actions", Elements: []slackElement{{
			Type: "button", Text: slackText{Type: "plain_text", Text: "Open incident"}, URL: link,
		}}})
		msg.Text += " " + link
	}
	return msg
}

func (s *slack) send(ctx context.Context, ev Event) error {
	body, err := json.Marshal(s.message(ev))
	if err != nil {
		return permanentError{err}
	}
	return post(ctx, s.client, s.cfg.URL, body, keyed(http.Header{}, ev))
}
