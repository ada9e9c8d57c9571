// Smoke test of the Go module: one RotatingAccessKeyUser, synthesized, its template checked.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/example/cdk-rotating-access-keys-go/cdkrotatingaccesskeys"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Smoke"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1")},
	})
	cdkrotatingaccesskeys.NewRotatingAccessKeyUser(stack, jsii.String("Backup"), &cdkrotatingaccesskeys.RotatingAccessKeyUserProps{
		UserName:        jsii.String("smoke-user"),
		DeactivateAfter: awscdk.Duration_Days(jsii.Number(7)),
		RemovalPolicy:   awscdk.RemovalPolicy_DESTROY,
	})

	template := assertions.Template_FromStack(stack, nil)
	template.HasResourceProperties(jsii.String("AWS::IAM::User"), map[string]interface{}{"UserName": "smoke-user"})
	template.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(1))
	template.ResourceCountIs(jsii.String("Custom::AccessKeyRotation"), jsii.Number(1))
	template.ResourceCountIs(jsii.String("AWS::IAM::AccessKey"), jsii.Number(0))
	body, err := json.Marshal(template.ToJSON())
	if err != nil {
		panic(err)
	}
	if strings.Contains(string(body), "SecretAccessKey") {
		fmt.Fprintln(os.Stderr, "smoke go: the template names a SecretAccessKey")
		os.Exit(1)
	}
	resources := (*template.ToJSON())["Resources"].(map[string]interface{})
	fmt.Printf("smoke go: ok (%d resources)\n", len(resources))
}
