export * from './access-key-rotator';
export * from './checks/unrotated-access-key-check';
export * from './foreign-key-policy';
export * from './key-rotation-schedule';
export * from './rotating-access-key';
export * from './rotating-access-key-user';
export * from './access-key-events';
export * from './access-key-watch';
