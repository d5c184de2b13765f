package aws

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The servers below speak the services' real wire protocols (REST-XML for
// S3 Control, the query protocol for STS), with bodies shaped like the
// examples in the AWS API references, so that the SDK's own serializers
// and deserializers run. They stand in where no local server exists:
// kumo answers S3 Control's GetPublicAccessBlock in a different XML shape,
// and no emulator issues MFA-protected role sessions.

// controlServer is S3 Control's account-level Block Public Access.
type controlServer struct {
	*httptest.Server
	mu       sync.Mutex
	config   string // XML body of PublicAccessBlockConfiguration, "" = none
	deny     bool
	accounts []string // x-amz-account-id of each request
	hosts    []string
	// points are the access points, by bucket; their names are unique.
	points map[string][]fakeAccessPoint
	// denyPoints refuses ListAccessPoints.
	denyPoints bool
}

// fakeAccessPoint is one access point as S3 Control describes it.
type fakeAccessPoint struct {
	name, origin, policy string
	bpa                  [4]bool
	public               bool // GetAccessPointPolicyStatus
}

// accessPoint answers the access point reads (REST-XML, paths and
// element names of the S3 Control API reference).
func (c *controlServer) accessPoint(w http.ResponseWriter, r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v20180820/accesspoint")
	if !ok || r.Method != http.MethodGet {
		return false
	}
	if rest == "" && c.denyPoints {
		writeXMLError(w, http.StatusForbidden, true, "AccessDenied", "Access Denied")
		return true
	}
	w.Header().Set("Content-Type", "application/xml")
	if rest == "" {
		var b strings.Builder
		for _, ap := range c.points[r.URL.Query().Get("bucket")] {
			fmt.Fprintf(&b, "<AccessPoint><Name>%s</Name><NetworkOrigin>%s</NetworkOrigin><Bucket>%s</Bucket><AccessPointArn>arn:aws:s3:us-east-1:%s:accesspoint/%s</AccessPointArn></AccessPoint>",
				ap.name, ap.origin, r.URL.Query().Get("bucket"), r.Header.Get("x-amz-account-id"), ap.name)
		}
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListAccessPointsResult><AccessPointList>%s</AccessPointList></ListAccessPointsResult>`, b.String())
		return true
	}
	name, what, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	var ap *fakeAccessPoint
	for _, list := range c.points {
		for i := range list {
			if list[i].name == name {
				ap = &list[i]
			}
		}
	}
	if ap == nil {
		writeXMLError(w, http.StatusNotFound, true, "NoSuchAccessPoint", "The specified accesspoint does not exist")
		return true
	}
	switch what {
	case "":
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><GetAccessPointResult><Name>%s</Name><NetworkOrigin>%s</NetworkOrigin><PublicAccessBlockConfiguration><BlockPublicAcls>%t</BlockPublicAcls><IgnorePublicAcls>%t</IgnorePublicAcls><BlockPublicPolicy>%t</BlockPublicPolicy><RestrictPublicBuckets>%t</RestrictPublicBuckets></PublicAccessBlockConfiguration><CreationDate>2026-03-01T10:00:00Z</CreationDate></GetAccessPointResult>`,
			ap.name, ap.origin, ap.bpa[0], ap.bpa[1], ap.bpa[2], ap.bpa[3])
	case "policy":
		if ap.policy == "" {
			writeXMLError(w, http.StatusNotFound, true, "NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist")
			return true
		}
		var esc strings.Builder
		_ = xml.EscapeText(&esc, []byte(ap.policy))
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><GetAccessPointPolicyResult><Policy>%s</Policy></GetAccessPointPolicyResult>`, esc.String())
	case "policyStatus":
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><GetAccessPointPolicyStatusResult><PolicyStatus><IsPublic>%t</IsPublic></PolicyStatus></GetAccessPointPolicyStatusResult>`, ap.public)
	default:
		return false
	}
	return true
}

func newControlServer(t *testing.T) *controlServer {
	c := &controlServer{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.accounts = append(c.accounts, r.Header.Get("x-amz-account-id"))
		c.hosts = append(c.hosts, r.Host)
		if c.accessPoint(w, r) {
			return
		}
		if r.Method != http.MethodGet || r.URL.Path != "/v20180820/configuration/publicAccessBlock" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		switch {
		case c.deny:
			writeXMLError(w, http.StatusForbidden, true, "AccessDenied", "Access Denied")
		case c.config == "":
			writeXMLError(w, http.StatusNotFound, true, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
		default:
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<PublicAccessBlockConfiguration>%s</PublicAccessBlockConfiguration>`, c.config)
		}
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *controlServer) set(blockACLs, ignoreACLs, blockPolicy, restrict bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.config = fmt.Sprintf("<BlockPublicAcls>%t</BlockPublicAcls><IgnorePublicAcls>%t</IgnorePublicAcls><BlockPublicPolicy>%t</BlockPublicPolicy><RestrictPublicBuckets>%t</RestrictPublicBuckets>",
		blockACLs, ignoreACLs, blockPolicy, restrict)
}

// writeXMLError writes an AWS REST-XML error; S3 Control wraps it in
// ErrorResponse, S3 does not.
func writeXMLError(w http.ResponseWriter, status int, wrapped bool, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	inner := fmt.Sprintf("<Code>%s</Code><Message>%s</Message><RequestId>4442587FB7D0A2F9</RequestId>", code, msg)
	if wrapped {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error>%s</Error></ErrorResponse>`, inner)
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error>%s</Error>`, inner)
}

// stsServer answers GetCallerIdentity and AssumeRole. The identity follows
// the access key that signed the request, so a test can see whether the
// assumed role's session credentials were used.
type stsServer struct {
	*httptest.Server
	mu         sync.Mutex
	assumes    []url.Values
	errorCode  string // when set, every call fails with it
	mfaSerial  string
	mfaCode    string
	keysSeen   []string
	sessionKey string
}

var credentialRE = regexp.MustCompile(`Credential=([A-Z0-9]+)/`)

func newSTSServer(t *testing.T) *stsServer {
	s := &stsServer{sessionKey: "ASIAEXAMPLESESSION01"}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		key := ""
		if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			key = m[1]
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.keysSeen = append(s.keysSeen, key)
		w.Header().Set("Content-Type", "text/xml")
		if s.errorCode != "" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>The security token included in the request is expired</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`, s.errorCode)
			return
		}
		switch form.Get("Action") {
		case "GetCallerIdentity":
			arn, user := "arn:aws:iam::123456789012:user/Alice", "AIDAEXAMPLEALICE0001"
			if strings.HasPrefix(key, "ASIA") {
				arn, user = "arn:aws:sts::123456789012:assumed-role/Responder/s3responder", "AROAEXAMPLEROLE00001:s3responder"
			}
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, arn, user)
		case "AssumeRole":
			s.assumes = append(s.assumes, form)
			if s.mfaSerial != "" && (form.Get("SerialNumber") != s.mfaSerial || form.Get("TokenCode") != s.mfaCode) {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>MultiFactorAuthentication failed with invalid MFA one time pass code.</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
				return
			}
			fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/Responder/s3responder</Arn><AssumedRoleId>AROAEXAMPLEROLE00001:s3responder</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey><SessionToken>FwoGZXIvYXdzEXAMPLETOKEN</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata></AssumeRoleResponse>`, s.sessionKey)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse><Error><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, form.Get("Action"))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// s3ErrorServer answers every S3 request with the error set for its
// sub-resource (the query key, "" for ListBuckets), or an empty success.
type s3ErrorServer struct {
	*httptest.Server
	mu     sync.Mutex
	errors map[string][2]string // sub-resource -> {code, status}
	block  chan struct{}        // when set, requests wait on it
	scopes map[string]int       // signing region -> requests
}

var scopeRE = regexp.MustCompile(`Credential=[A-Z0-9]+/[0-9]+/([a-z0-9-]+)/s3/`)

func newS3ErrorServer(t *testing.T, errs map[string][2]string) *s3ErrorServer {
	s := &s3ErrorServer{errors: errs, scopes: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		block := s.block
		if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			s.scopes[m[1]]++
		}
		s.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		sub := ""
		for k := range r.URL.Query() {
			if k != "x-id" && k != "max-buckets" {
				sub = k
			}
		}
		if e, ok := s.errors[sub]; ok {
			status := http.StatusForbidden
			fmt.Sscan(e[1], &status)
			writeXMLError(w, status, false, e[0], "error for "+sub)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		switch {
		case sub == "" && r.URL.Path == "/":
			type bucket struct {
				Name         string
				CreationDate string
				BucketRegion string
			}
			out := struct {
				XMLName xml.Name `xml:"ListAllMyBucketsResult"`
				Owner   struct{ ID, DisplayName string }
				Buckets []bucket `xml:"Buckets>Bucket"`
			}{}
			out.Owner.ID = "owner-canonical-id"
			for i := 0; i < 6; i++ {
				out.Buckets = append(out.Buckets, bucket{fmt.Sprintf("bucket-%d", i), "2024-01-01T00:00:00.000Z", "eu-west-1"})
			}
			_ = xml.NewEncoder(w).Encode(out)
		case sub == "location":
			fmt.Fprint(w, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>`)
		case sub == "acl":
			fmt.Fprint(w, `<AccessControlPolicy><Owner><ID>owner-canonical-id</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`)
		case sub == "policyStatus":
			fmt.Fprint(w, `<PolicyStatus><IsPublic>false</IsPublic></PolicyStatus>`)
		case sub == "publicAccessBlock":
			writeXMLError(w, http.StatusNotFound, false, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
		case sub == "ownershipControls":
			writeXMLError(w, http.StatusNotFound, false, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
		default:
			writeXMLError(w, http.StatusNotFound, false, "NoSuchBucketPolicy", "The bucket policy does not exist")
		}
	}))
	t.Cleanup(s.Close)
	return s
}
