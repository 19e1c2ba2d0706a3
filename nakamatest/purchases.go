package nakamatest

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/heroiclabs/nakama-common/api"
)

// nakamatest has no store credentials and contacts no store, so the
// purchase and subscription routes answer as a real server in its default
// configuration does: the stores that need credentials are "not
// configured", and the validations that would reach a store fail as if it
// could not be reached. No purchase or subscription ever exists.

func (s *Server) registerPurchases() {
	handle(s, "ValidatePurchaseApple", s.validatePurchaseApple)
	handle(s, "ValidatePurchaseGoogle", s.validatePurchaseGoogle)
	handle(s, "ValidatePurchaseHuawei", s.validatePurchaseHuawei)
	handle(s, "ValidatePurchaseFacebookInstant", s.validatePurchaseFacebookInstant)
	handle(s, "ValidatePurchaseSamsung", s.validatePurchaseSamsung)
	handle(s, "ValidateSubscriptionApple", s.validateSubscriptionApple)
	handle(s, "ValidateSubscriptionGoogle", s.validateSubscriptionGoogle)
	handle(s, "GetSubscription", s.getSubscription)
	handle(s, "ListSubscriptions", s.listSubscriptions)
}

func (s *Server) validatePurchaseApple(_ context.Context, _ *call, req *api.ValidatePurchaseAppleRequest) (*api.ValidatePurchaseResponse, error) {
	if req.Receipt == "" {
		return nil, newError(InvalidArgument, "Receipt cannot be empty.")
	}
	// A receipt that is not a JWS goes to Apple's legacy API, which needs
	// the shared password.
	if len(strings.Split(req.Receipt, ".")) != 3 {
		return nil, newError(FailedPrecondition, "Apple IAP is not configured.")
	}
	// A JWS is checked locally first: its certificate chain must lead to
	// Apple's root. nakamatest trusts no root, so the check fails with the
	// same error as the server's for any chain Apple did not sign.
	return nil, appleJWSError(req.Receipt)
}

// appleJWSError returns the error the server's check of a JWS receipt
// signature reports, as an Unknown status carrying the error's text.
func appleJWSError(receipt string) error {
	fail := func(err error) error { return newError(Unknown, err.Error()) }
	header, err := base64.RawURLEncoding.DecodeString(strings.Split(receipt, ".")[0])
	if err != nil {
		return fail(err)
	}
	var h struct {
		Alg string   `json:"alg"`
		X5c []string `json:"x5c"`
	}
	if err := json.Unmarshal(header, &h); err != nil {
		return fail(err)
	}
	if len(h.X5c) < 3 {
		return newError(Unknown, "invalid jws header: x5c field must contain at least 3 certificates")
	}
	ders := make([][]byte, 0, len(h.X5c))
	for _, c := range h.X5c {
		der, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			return fail(err)
		}
		ders = append(ders, der)
	}
	leaf, err := x509.ParseCertificate(ders[0])
	if err != nil {
		return fail(err)
	}
	inter, err := x509.ParseCertificate(ders[1])
	if err != nil {
		return fail(err)
	}
	if _, err := x509.ParseCertificate(ders[2]); err != nil {
		return fail(err)
	}
	intermediates := x509.NewCertPool()
	intermediates.AddCert(inter)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: intermediates}); err != nil {
		return fail(err)
	}
	return newError(Unknown, "x509: certificate signed by unknown authority")
}

func (s *Server) validatePurchaseGoogle(_ context.Context, _ *call, _ *api.ValidatePurchaseGoogleRequest) (*api.ValidatePurchaseResponse, error) {
	return nil, newError(FailedPrecondition, "Google IAP is not configured.")
}

func (s *Server) validatePurchaseHuawei(_ context.Context, _ *call, _ *api.ValidatePurchaseHuaweiRequest) (*api.ValidatePurchaseResponse, error) {
	return nil, newError(FailedPrecondition, "Huawei IAP is not configured.")
}

func (s *Server) validatePurchaseFacebookInstant(_ context.Context, _ *call, _ *api.ValidatePurchaseFacebookInstantRequest) (*api.ValidatePurchaseResponse, error) {
	return nil, newError(FailedPrecondition, "Facebook Instant IAP is not configured.")
}

func (s *Server) validatePurchaseSamsung(_ context.Context, _ *call, req *api.ValidatePurchaseSamsungRequest) (*api.ValidatePurchaseResponse, error) {
	if req.PurchaseId == "" {
		return nil, newError(InvalidArgument, "Purchase ID cannot be empty.")
	}
	// Samsung's receipt API needs no credentials, so the server calls it;
	// nakamatest answers as a server that cannot reach it does.
	u := "https://iap.samsungapps.com/iap/v6/receipt?" + url.Values{"purchaseID": {req.PurchaseId}}.Encode()
	return nil, newError(Unknown, `Samsung IAP request failed: Get "`+u+`": nakamatest does not contact the Samsung store, status=0, payload=`)
}

func (s *Server) validateSubscriptionApple(_ context.Context, _ *call, _ *api.ValidateSubscriptionAppleRequest) (*api.ValidateSubscriptionResponse, error) {
	return nil, newError(FailedPrecondition, "Apple IAP is not configured.")
}

func (s *Server) validateSubscriptionGoogle(_ context.Context, _ *call, _ *api.ValidateSubscriptionGoogleRequest) (*api.ValidateSubscriptionResponse, error) {
	return nil, newError(FailedPrecondition, "Google IAP is not configured.")
}

func (s *Server) getSubscription(_ context.Context, _ *call, _ *api.GetSubscriptionRequest) (*api.ValidatedSubscription, error) {
	return nil, newError(NotFound, "subscription not found")
}

func (s *Server) listSubscriptions(_ context.Context, _ *call, req *api.ListSubscriptionsRequest) (*api.SubscriptionList, error) {
	if req.Limit != nil && (req.Limit.Value < 1 || req.Limit.Value > 100) {
		// The server's message says 1000; the bound is 100.
		return nil, newError(InvalidArgument, "Invalid limit - limit must be between 1 and 1000.")
	}
	if req.Cursor != "" {
		// No listing here ever hands out a cursor.
		return nil, newError(Unknown, "subscriptions list cursor invalid")
	}
	return &api.SubscriptionList{}, nil
}
