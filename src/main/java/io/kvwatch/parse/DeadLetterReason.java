package io.kvwatch.parse;

/** Why input went to the dead-letter output. The codes are part of the dead-letter schema: do not rename them. */
public enum DeadLetterReason {
    MESSAGE_TOO_LARGE("message_too_large"),
    NOT_UTF8("not_utf8"),
    NOT_JSON("not_json"),
    /** A key given twice in one JSON object, anywhere in the message; Elasticsearch refuses such documents too. */
    DUPLICATE_KEY("duplicate_key"),
    NOT_AN_OBJECT("not_an_object"),
    RECORDS_NOT_AN_ARRAY("records_not_an_array"),
    RECORD_NOT_AN_OBJECT("record_not_an_object"),
    BAD_TIME("bad_time"),
    WRONG_FIELD_TYPE("wrong_field_type");

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
