package nakamatest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"
)

func TestPurchasesUnconfigured(t *testing.T) {
	_, c := startServer(t, nil)
	b := bearerHeader(c.device("purchase-device-1"))
	for _, tc := range []struct {
		path, body string
		status     int
		code       Code
		msg        string
	}{
		{"/v2/iap/purchase/apple", `{}`, 400, InvalidArgument, "Receipt cannot be empty."},
		{"/v2/iap/purchase/apple", `{"receipt":"bm90LWEtandz"}`, 400, FailedPrecondition, "Apple IAP is not configured."},
		{"/v2/iap/purchase/apple", `{"receipt":"e30.e30.sig"}`, 500, Unknown, "invalid jws header: x5c field must contain at least 3 certificates"},
		{"/v2/iap/purchase/apple", `{"receipt":"!.e30.sig"}`, 500, Unknown, "illegal base64 data at input byte 0"},
		{"/v2/iap/purchase/apple", `{"receipt":"bm90.e30.sig"}`, 500, Unknown, "invalid character 'o' in literal null (expecting 'u')"},
		{"/v2/iap/purchase/google", `{}`, 400, FailedPrecondition, "Google IAP is not configured."},
		{"/v2/iap/purchase/huawei", `{"purchase":"p","signature":"s"}`, 400, FailedPrecondition, "Huawei IAP is not configured."},
		{"/v2/iap/purchase/facebookinstant", `{}`, 400, FailedPrecondition, "Facebook Instant IAP is not configured."},
		{"/v2/iap/purchase/samsung", `{}`, 400, InvalidArgument, "Purchase ID cannot be empty."},
		{"/v2/iap/purchase/samsung", `{"purchase_id":"a b"}`, 500, Unknown,
			`Samsung IAP request failed: Get "https://iap.samsungapps.com/iap/v6/receipt?purchaseID=a+b": nakamatest does not contact the Samsung store, status=0, payload=`},
		{"/v2/iap/subscription/apple", `{}`, 400, FailedPrecondition, "Apple IAP is not configured."},
		{"/v2/iap/subscription/google", `{"receipt":"r"}`, 400, FailedPrecondition, "Google IAP is not configured."},
		{"/v2/iap/subscription", `{"limit":101}`, 400, InvalidArgument, "Invalid limit - limit must be between 1 and 1000."},
		{"/v2/iap/subscription", `{"cursor":"abc"}`, 500, Unknown, "subscriptions list cursor invalid"},
	} {
		c.send("POST", tc.path, tc.body, b).fails(t, tc.status, tc.code, tc.msg)
	}
	r := c.send("POST", "/v2/iap/subscription", `{"limit":10}`, b)
	if r.status != 200 || r.body != "{}" {
		t.Errorf("ListSubscriptions: %d %s", r.status, r.body)
	}
	c.send("GET", "/v2/iap/subscription/product", "", b).fails(t, 404, NotFound, "subscription not found")
}

// A receipt whose certificate chain parses but does not lead to Apple's
// root fails in verification.
func TestApplePurchaseJWSChain(t *testing.T) {
	_, c := startServer(t, nil)
	b := bearerHeader(c.device("purchase-device-2"))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not apple"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := base64.StdEncoding.EncodeToString(der)
	header, _ := json.Marshal(map[string]any{"alg": "ES256", "x5c": []string{cert, cert, cert}})
	receipt := base64.RawURLEncoding.EncodeToString(header) + ".e30.sig"
	c.send("POST", "/v2/iap/purchase/apple", `{"receipt":"`+receipt+`"}`, b).
		fails(t, 500, Unknown, "x509: certificate signed by unknown authority")
}
