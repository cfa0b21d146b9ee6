// Readiness probe used by broker.sh: waits until the broker answers an admin request.
// Usage: java -cp "<probe dir>:<kafka libs>/*" ReadyCheck <bootstrap> <timeoutSeconds> [brokerPid]
// Exit codes: 0 ready, 1 timed out, 2 broker process died, 64 bad usage.
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;

public class ReadyCheck {
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2) {
            System.err.println("usage: ReadyCheck <bootstrap> <timeoutSeconds> [brokerPid]");
            System.exit(64);
        }
        String bootstrap = args[0];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
        long pid = args.length > 2 ? Long.parseLong(args[2]) : -1;

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "wirewatch-ready-check");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "200");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");

        try (Admin admin = Admin.create(props)) {
            while (true) {
                if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    System.exit(2);
                }
                try {
                    // A topic listing needs a live broker with loaded metadata;
                    // the node count proves the broker registered with the controller.
                    Set<String> names = admin.listTopics(new ListTopicsOptions().timeoutMs(3000))
                            .names().get(4, TimeUnit.SECONDS);
                    int nodes = admin.describeCluster().nodes().get(4, TimeUnit.SECONDS).size();
                    if (nodes > 0) {
                        System.out.println("ready: " + nodes + " node(s), " + names.size() + " topic(s)");
                        System.exit(0);
                    }
                } catch (Exception e) {
                    // not ready yet
                }
                if (System.nanoTime() > deadline) {
                    System.exit(1);
                }
                Thread.sleep(Duration.ofMillis(500).toMillis());
            }
        }
    }
}
