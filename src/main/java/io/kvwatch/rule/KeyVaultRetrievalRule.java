package io.kvwatch.rule;

import io.kvwatch.model.RecordField;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Elastic's new-terms rule "Azure Key Vault Secret Key Usage by Unusual Identity", as the job knows it: the rule file
 * bundled with the job (its identity, query, term fields, window and MITRE mapping: the one source of those facts),
 * and what is the job's own rather than the file's, the term it keys its state by.
 */
public final class KeyVaultRetrievalRule {

    /** The bundled rule file, the rule as Elastic released it (14-day history, severity medium, risk score 43). */
    public static final String BUNDLED_RULE = "/rules/azure-key-vault-secret-key-usage-by-unusual-identity.toml";

    /**
     * The term the job keys its state by, (upn, properties.id) digested into a {@code TermKey}: a rule file must name
     * exactly these fields as its new-terms fields, in either order.
     */
    public static final List<RecordField> TERM_FIELDS = List.of(RecordField.UPN, RecordField.OBJECT_ID);

    private static volatile DetectionRule bundled;

    private KeyVaultRetrievalRule() {}

    /** The bundled rule, read once. */
    public static DetectionRule bundled() {
        DetectionRule rule = bundled;
        if (rule == null) {
            try (InputStream in = KeyVaultRetrievalRule.class.getResourceAsStream(BUNDLED_RULE)) {
                if (in == null) {
                    throw new IllegalStateException(
                            "The bundled rule " + BUNDLED_RULE + " is missing from the job jar");
                }
                rule = RuleFile.parse(
                        new String(in.readAllBytes(), StandardCharsets.UTF_8), "the bundled rule " + BUNDLED_RULE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            bundled = rule;
        }
        return rule;
    }
}
