package io.kvwatch.testing;

import java.security.SecureRandom;

/**
 * Realistic-looking but fake Event Hubs credentials, made at run time so that no credential-shaped string is ever
 * committed (and so that every run searches its outputs for a value that exists nowhere else).
 */
public final class FakeSecrets {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private FakeSecrets() {}

    /** A 43-character key plus '=', shaped like a base64 SAS key; alphanumeric, so no JSON or URL escaping hides it. */
    public static String sharedAccessKey() {
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < 43; i++) {
            key.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return key.append('=').toString();
    }

    /** A namespace-level connection string, as the Azure portal shows it, with the given key. */
    public static String connectionString(String namespace, String key) {
        return "Endpoint=sb://" + namespace + ".servicebus.windows.net/;"
                + "SharedAccessKeyName=RootManageSharedAccessKey;" + "SharedAccess" + "Key=" + key;
    }
}
