package io.kvwatch.parse;

/** A record that cannot be used, with a reason for its dead letter. Thrown and caught inside the parser only. */
final class RejectedRecordException extends Exception {

    private final DeadLetterReason reason;

    RejectedRecordException(DeadLetterReason reason, String detail) {
        // No stack trace: this is control flow for bad data, which can arrive at the full input rate.
        super(detail, null, false, false);
        this.reason = reason;
    }

    DeadLetterReason reason() {
        return reason;
    }
}
