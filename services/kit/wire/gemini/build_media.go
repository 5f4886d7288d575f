package gemini

import (
	"encoding/base64"
	"mime"
	"net/url"
	"path"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// imagePart writes an image: inline data (or a data: URL) as inlineData,
// an http(s) URL as fileData with the type given or read from the URL's
// file extension.
func imagePart(img *inferencev1.Image, field string) (Part, *errs.Error) {
	u := img.GetUrl()
	switch {
	case len(img.GetData()) > 0:
		mt := img.GetMediaType()
		if mt == "" {
			return Part{}, errs.Invalid(field, "%s: inline image data needs its media type", field)
		}
		return Part{InlineData: &Blob{MimeType: mt, Data: encodeBase64(img.GetData())}}, nil
	case strings.HasPrefix(u, "data:"):
		mt, payload, ok := splitDataURL(u)
		if !ok {
			return Part{}, errs.Invalid(field, "%s: image data URL must be base64 (data:<type>;base64,…)", field)
		}
		return Part{InlineData: &Blob{MimeType: mt, Data: payload}}, nil
	case u != "":
		mt := img.GetMediaType()
		if mt == "" {
			mt = typeFromURL(u)
		}
		if !strings.HasPrefix(mt, "image/") {
			return Part{}, errs.Invalid(field, "%s: a Gemini model needs the type of an image URL; send the image inline or with a file extension", field)
		}
		return Part{FileData: &FileData{MimeType: mt, FileURI: u}}, nil
	}
	return Part{}, errs.Invalid(field, "%s: the image has no data or URL", field)
}

// filePart writes a document: inline data as inlineData, a URL as
// fileData. File ids are accepted only when they name a Gemini Files API
// upload ("files/…" or its URI).
func filePart(f *inferencev1.File, field string) (Part, *errs.Error) {
	mt := f.GetMediaType()
	switch {
	case len(f.GetData()) > 0:
		if mt == "" {
			mt = typeFromURL(f.GetFilename())
		}
		if mt == "" {
			return Part{}, errs.Invalid(field, "%s: inline file data needs its media type", field)
		}
		return Part{InlineData: &Blob{MimeType: mt, Data: encodeBase64(f.GetData())}}, nil
	case f.GetUrl() != "":
		if strings.HasPrefix(f.GetUrl(), "data:") {
			dmt, payload, ok := splitDataURL(f.GetUrl())
			if !ok {
				return Part{}, errs.Invalid(field, "%s: file data URL must be base64 (data:<type>;base64,…)", field)
			}
			return Part{InlineData: &Blob{MimeType: dmt, Data: payload}}, nil
		}
		if mt == "" {
			mt = typeFromURL(f.GetUrl())
		}
		if mt == "" {
			return Part{}, errs.Invalid(field, "%s: a Gemini model needs the type of a file URL", field)
		}
		return Part{FileData: &FileData{MimeType: mt, FileURI: f.GetUrl()}}, nil
	case isGeminiFileID(f.GetFileId()):
		uri := f.GetFileId()
		if strings.HasPrefix(uri, "files/") {
			uri = "https://generativelanguage.googleapis.com/v1beta/" + uri
		}
		return Part{FileData: &FileData{MimeType: mt, FileURI: uri}}, nil
	case f.GetFileId() != "":
		return Part{}, errs.Invalid(field, "%s: file_id %q names an upload at another provider; send the file inline", field, f.GetFileId())
	}
	return Part{}, errs.Invalid(field, "%s: the file has no data, URL or id", field)
}

func isGeminiFileID(id string) bool {
	return strings.HasPrefix(id, "files/") || strings.Contains(id, "generativelanguage.googleapis.com/")
}

// typeFromURL guesses a MIME type from the file extension of a URL or
// file name, "" when it has none known.
func typeFromURL(raw string) string {
	p := raw
	if u, err := url.Parse(raw); err == nil && u.Path != "" {
		p = u.Path
	}
	ext := strings.ToLower(path.Ext(p))
	if ext == "" {
		return ""
	}
	mt := mime.TypeByExtension(ext)
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return mt
}

// audioMimeType is the MIME type of a canonical audio format.
func audioMimeType(format string) string {
	switch format {
	case "mp3":
		return "audio/mp3"
	case "":
		return "audio/wav"
	}
	if strings.Contains(format, "/") {
		return format
	}
	return "audio/" + format
}

// splitDataURL splits "data:<media type>;base64,<payload>".
func splitDataURL(u string) (mediaType, payload string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	return mediaType, payload, isBase64 && mediaType != ""
}
