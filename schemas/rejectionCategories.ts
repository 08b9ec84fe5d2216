// SiteRejection.category values that tools count on (the field itself is free text from the screening).
/** A site the operator's suppression list names (WEBTRAIL_SUPPRESSION_LIST): it asked not to be visited. */
export const SUPPRESSED_CATEGORY = 'suppressed';
/** A site on the operator's blocklist (WEBTRAIL_BLOCKLIST), rejected as unsafe before any visit. */
export const BLOCKLISTED_CATEGORY = 'blocklisted';
