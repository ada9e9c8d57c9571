export * from './foreign-key-policy';
