package smoke;

import io.github.example.cdk.rotatingaccesskeys.RotatingAccessKeyUser;
import io.github.example.cdk.rotatingaccesskeys.RotatingAccessKeyUserProps;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Template;

/** Smoke test of the Java package: one RotatingAccessKeyUser, synthesized, its template checked. */
public final class SmokeApp {
  private SmokeApp() {
  }

  public static void main(final String[] args) {
    App app = new App();
    Stack stack = new Stack(app, "Smoke", StackProps.builder()
        .env(Environment.builder().account("123456789012").region("eu-west-1").build())
        .build());
    new RotatingAccessKeyUser(stack, "Backup", RotatingAccessKeyUserProps.builder()
        .userName("smoke-user")
        .deactivateAfter(Duration.days(7))
        .removalPolicy(RemovalPolicy.DESTROY)
        .build());

    Template template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::IAM::User", Map.of("UserName", "smoke-user"));
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
    template.resourceCountIs("Custom::AccessKeyRotation", 1);
    template.resourceCountIs("AWS::IAM::AccessKey", 0);
    String body = template.toJSON().toString();
    if (body.contains("SecretAccessKey")) {
      throw new IllegalStateException("smoke java: the template names a SecretAccessKey");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> resources = (Map<String, Object>) template.toJSON().get("Resources");
    System.out.println("smoke java: ok (" + resources.size() + " resources)");
  }
}
