package rpc

import (
	"context"
	"strings"

	"golang.org/x/text/language"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Language is a language the services answer people in.
type Language int

// The languages of error messages: English for callers that ask for none (gRPC clients,
// scripts), Chinese for those that ask for it (the console, a browser set to Chinese).
const (
	English Language = iota
	Chinese
)

// Locale is the language's BCP 47 tag in google.rpc.LocalizedMessage.
func (l Language) Locale() string {
	if l == Chinese {
		return "zh-CN"
	}
	return "en"
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese})

// ParseLanguage picks the language of an Accept-Language value ("zh-CN,zh;q=0.9,en;q=0.8");
// English when it is empty or names neither.
func ParseLanguage(accept string) Language {
	if strings.TrimSpace(accept) == "" {
		return English
	}
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return English
	}
	_, i, conf := matcher.Match(tags...)
	if i == 1 && conf != language.No {
		return Chinese
	}
	return English
}

// LanguageOf is the language the caller of ctx asked for in its accept-language metadata (the
// HTTP face passes the Accept-Language header on as it).
func LanguageOf(ctx context.Context) Language {
	md, _ := metadata.FromIncomingContext(ctx)
	return ParseLanguage(strings.Join(md.Get("accept-language"), ","))
}

// domainOf is the ErrorInfo domain of a method's errors: "sanbao.ticket" for
// /sanbao.ticket.v1.TicketService/GetTicket.
func domainOf(fullMethod string) string {
	pkg := strings.TrimPrefix(fullMethod, "/")
	if i := strings.IndexByte(pkg, '/'); i >= 0 {
		pkg = pkg[:i]
	}
	parts := strings.Split(pkg, ".")
	if len(parts) >= 2 && parts[0] == "sanbao" {
		return "sanbao." + parts[1]
	}
	if len(parts) > 1 {
		return strings.Join(parts[:len(parts)-1], ".")
	}
	return pkg
}

// localizing gives every error a call answers its ErrorInfo and LocalizedMessage (Localize).
func localizing(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err != nil && !infrastructure(info.FullMethod) {
		return resp, Localize(err, domainOf(info.FullMethod), LanguageOf(ctx))
	}
	return resp, err
}
