package blk

import "github.com/xenolith/xenolith/domains"

// Dom0Grants implements Grants over the domain model: each Map is a dom0
// mapping of the front end's grant (domains.(*Domain).MapGrant), released
// by Page.Unmap. A failed map (bad ref, grant not for dom0, ...) is a
// *domains.GrantError with the GNTST status; the back end answers the
// request with BLKIF_RSP_ERROR.
type Dom0Grants struct {
	Dom0 *domains.Domain // reg.Dom0()
}

// Map maps ref of domain dom; readonly for the pages a WRITE reads.
func (g Dom0Grants) Map(dom uint16, ref uint32, readonly bool) (Page, error) {
	m, err := g.Dom0.MapGrant(dom, ref, readonly)
	if err != nil {
		return nil, err
	}
	return m, nil
}
