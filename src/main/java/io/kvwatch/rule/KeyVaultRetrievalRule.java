package io.kvwatch.rule;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The facts of Elastic's new-terms rule "Azure Key Vault Secret Key Usage by Unusual Identity", in one place:
 * its identity, the read operations it watches, the term it tracks and how far back "new" looks.
 */
public final class KeyVaultRetrievalRule {

    public static final String RULE_ID = "75c53838-5dcd-11f0-829c-f661ea17fbcd";
    public static final String NAME = "Azure Key Vault Secret Key Usage by Unusual Identity";
    public static final String TYPE = "new_terms";
    public static final String SEVERITY = "medium";
    public static final int RISK_SCORE = 43;

    public static final String TACTIC_ID = "TA0006";
    public static final String TACTIC_NAME = "Credential Access";
    public static final String TECHNIQUE_ID = "T1555";
    public static final String TECHNIQUE_NAME = "Credentials from Password Stores";
    public static final String SUBTECHNIQUE_ID = "T1555.006";
    public static final String SUBTECHNIQUE_NAME = "Cloud Secrets Management Stores";

    /** The rule's history window: a term is new when it was not seen in this span before. */
    public static final Duration HISTORY_WINDOW = Duration.ofDays(14);

    /** The fields whose combination is the tracked term, in the order alerts list them. */
    public static final List<String> NEW_TERMS_FIELDS =
            List.of("azure.platformlogs.identity.claim.upn", "azure.platformlogs.properties.id");

    /**
     * The read operations the rule watches, compared exactly (case-sensitive, as Elastic's keyword match is).
     * Reads of the vault itself (VaultGet) count as well as reads of secrets, keys and certificates.
     */
    public static final Set<String> READ_OPERATIONS =
            Set.of(
                    "VaultGet",
                    "KeyGet",
                    "KeyList",
                    "KeyListVersions",
                    "KeyGetDeleted",
                    "KeyListDeleted",
                    "SecretGet",
                    "SecretList",
                    "SecretListVersions",
                    "SecretGetDeleted",
                    "SecretListDeleted",
                    "CertificateGet",
                    "CertificateList",
                    "CertificateListVersions",
                    "CertificateGetDeleted",
                    "CertificateListDeleted",
                    "CertificatePolicyGet",
                    "CertificateContactsGet",
                    "CertificateIssuerGet",
                    "CertificateIssuersList");

    private KeyVaultRetrievalRule() {}
}
