package tabletop

import (
	"context"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"s3responder/aws"
)

// The simulated S3 and S3 Control file every call that changes something
// in the simulated CloudTrail once it has gone through, as AWS files the
// management events of a trail (and the data events of one that records
// them): recordingS3 and recordingControl wrap the simulations with that,
// so the simulations themselves stay about S3's behaviour. IAM and EC2
// record from their own methods (api_iam.go, api_ec2.go).

type recordingS3 struct{ s3API }

type recordingControl struct{ controlAPI }

var (
	_ aws.S3API      = recordingS3{}
	_ aws.ControlAPI = recordingControl{}
)

// filed records one call of the responders; bucket and key name it.
func (b *backend) filed(err error, name, bucket string, params map[string]any) {
	if err != nil {
		return
	}
	if params == nil {
		params = map[string]any{}
	}
	if bucket != "" {
		params["bucketName"] = bucket
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.record("s3.amazonaws.com", name, params)
}

func (r recordingS3) PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, o ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	out, err := r.s3API.PutBucketPolicy(ctx, in, o...)
	r.filed(err, "PutBucketPolicy", sdkaws.ToString(in.Bucket), map[string]any{"bucketPolicy": sdkaws.ToString(in.Policy)})
	return out, err
}

func (r recordingS3) DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, o ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	out, err := r.s3API.DeleteBucketPolicy(ctx, in, o...)
	r.filed(err, "DeleteBucketPolicy", sdkaws.ToString(in.Bucket), nil)
	return out, err
}

func (r recordingS3) PutBucketAcl(ctx context.Context, in *s3.PutBucketAclInput, o ...func(*s3.Options)) (*s3.PutBucketAclOutput, error) {
	out, err := r.s3API.PutBucketAcl(ctx, in, o...)
	r.filed(err, "PutBucketAcl", sdkaws.ToString(in.Bucket), nil)
	return out, err
}

func (r recordingS3) PutObjectAcl(ctx context.Context, in *s3.PutObjectAclInput, o ...func(*s3.Options)) (*s3.PutObjectAclOutput, error) {
	out, err := r.s3API.PutObjectAcl(ctx, in, o...)
	r.filed(err, "PutObjectAcl", sdkaws.ToString(in.Bucket), map[string]any{"key": sdkaws.ToString(in.Key)})
	return out, err
}

func (r recordingS3) PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, o ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	out, err := r.s3API.PutPublicAccessBlock(ctx, in, o...)
	r.filed(err, "PutBucketPublicAccessBlock", sdkaws.ToString(in.Bucket), map[string]any{"PublicAccessBlockConfiguration": in.PublicAccessBlockConfiguration})
	return out, err
}

func (r recordingS3) DeletePublicAccessBlock(ctx context.Context, in *s3.DeletePublicAccessBlockInput, o ...func(*s3.Options)) (*s3.DeletePublicAccessBlockOutput, error) {
	out, err := r.s3API.DeletePublicAccessBlock(ctx, in, o...)
	r.filed(err, "DeleteBucketPublicAccessBlock", sdkaws.ToString(in.Bucket), nil)
	return out, err
}

func (r recordingS3) PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, o ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	out, err := r.s3API.PutBucketEncryption(ctx, in, o...)
	r.filed(err, "PutBucketEncryption", sdkaws.ToString(in.Bucket), nil)
	return out, err
}

func (r recordingS3) DeleteBucketEncryption(ctx context.Context, in *s3.DeleteBucketEncryptionInput, o ...func(*s3.Options)) (*s3.DeleteBucketEncryptionOutput, error) {
	out, err := r.s3API.DeleteBucketEncryption(ctx, in, o...)
	r.filed(err, "DeleteBucketEncryption", sdkaws.ToString(in.Bucket), nil)
	return out, err
}

func (r recordingS3) PutBucketVersioning(ctx context.Context, in *s3.PutBucketVersioningInput, o ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	out, err := r.s3API.PutBucketVersioning(ctx, in, o...)
	params := map[string]any{}
	if in.VersioningConfiguration != nil {
		params["VersioningConfiguration"] = map[string]any{"Status": string(in.VersioningConfiguration.Status)}
	}
	r.filed(err, "PutBucketVersioning", sdkaws.ToString(in.Bucket), params)
	return out, err
}

func (r recordingS3) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	out, err := r.s3API.PutObject(ctx, in, o...)
	r.filed(err, "PutObject", sdkaws.ToString(in.Bucket), map[string]any{"key": sdkaws.ToString(in.Key)})
	return out, err
}

func (r recordingS3) CopyObject(ctx context.Context, in *s3.CopyObjectInput, o ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	out, err := r.s3API.CopyObject(ctx, in, o...)
	r.filed(err, "CopyObject", sdkaws.ToString(in.Bucket), map[string]any{"key": sdkaws.ToString(in.Key), "x-amz-copy-source": sdkaws.ToString(in.CopySource)})
	return out, err
}

func (r recordingS3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, o ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	out, err := r.s3API.DeleteObject(ctx, in, o...)
	params := map[string]any{"key": sdkaws.ToString(in.Key)}
	if in.VersionId != nil {
		params["versionId"] = *in.VersionId
	}
	r.filed(err, "DeleteObject", sdkaws.ToString(in.Bucket), params)
	return out, err
}

func (r recordingS3) RestoreObject(ctx context.Context, in *s3.RestoreObjectInput, o ...func(*s3.Options)) (*s3.RestoreObjectOutput, error) {
	out, err := r.s3API.RestoreObject(ctx, in, o...)
	r.filed(err, "RestoreObject", sdkaws.ToString(in.Bucket), map[string]any{"key": sdkaws.ToString(in.Key)})
	return out, err
}

func (r recordingControl) PutPublicAccessBlock(ctx context.Context, in *s3control.PutPublicAccessBlockInput, o ...func(*s3control.Options)) (*s3control.PutPublicAccessBlockOutput, error) {
	out, err := r.controlAPI.PutPublicAccessBlock(ctx, in, o...)
	r.filed(err, "PutAccountPublicAccessBlock", "", map[string]any{"PublicAccessBlockConfiguration": in.PublicAccessBlockConfiguration})
	return out, err
}

func (r recordingControl) DeletePublicAccessBlock(ctx context.Context, in *s3control.DeletePublicAccessBlockInput, o ...func(*s3control.Options)) (*s3control.DeletePublicAccessBlockOutput, error) {
	out, err := r.controlAPI.DeletePublicAccessBlock(ctx, in, o...)
	r.filed(err, "DeleteAccountPublicAccessBlock", "", nil)
	return out, err
}

func (r recordingControl) CreateJob(ctx context.Context, in *s3control.CreateJobInput, o ...func(*s3control.Options)) (*s3control.CreateJobOutput, error) {
	out, err := r.controlAPI.CreateJob(ctx, in, o...)
	r.filed(err, "CreateJob", "", nil)
	return out, err
}
