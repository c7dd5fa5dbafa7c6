package io.kvwatch.alert;

/** An alert ready to leave the job: its deterministic id (the Kafka key) and its JSON document. */
public class Alert {

    public String id;
    public String json;

    public Alert() {}

    public Alert(String id, String json) {
        this.id = id;
        this.json = json;
    }

    @Override
    public String toString() {
        return json;
    }
}
